// RunningTasks: the tasks a node holds, by ticket.
#include <doctest/doctest.h>

#include <string>

#include "running_tasks.hpp"

namespace zerotask::testing {

TEST_CASE("running tasks list the lease tokens of the tasks added and not removed" * doctest::timeout(30)) {
  node_impl::RunningTasks running;
  CHECK(running.size() == 0);
  CHECK(running.tokens().empty());
  auto first = running.add("0000000000000001", 1, 0);
  auto second = running.add("0000000000000002", 4, 0);
  CHECK(first != second);
  CHECK(running.size() == 2);
  running.remove(first);
  auto tokens = running.tokens();
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0].id == "0000000000000002");
  CHECK(tokens[0].attempt == 4);
}

TEST_CASE("a removed task gives back the generation it was added with and its ticket is reused" *
          doctest::timeout(30)) {
  node_impl::RunningTasks running;
  auto old = running.add("0000000000000001", 1, 3);
  CHECK(running.remove(old) == 3);
  auto reused = running.add("0000000000000002", 2, 5);
  CHECK(reused == old);
  CHECK(running.remove(reused) == 5);
  CHECK(running.size() == 0);
}

}  // namespace zerotask::testing

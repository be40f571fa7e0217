// RunningTasks: the tasks a node holds, by ticket, and cancelling one by its lease token.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "running_tasks.hpp"

namespace zerotask::testing {

TEST_CASE("running tasks list the lease tokens of the tasks added and not removed" * doctest::timeout(30)) {
  node_impl::RunningTasks running;
  CHECK(running.size() == 0);
  CHECK(running.tokens().empty());
  auto first = running.add("0000000000000001", 1, 0, nullptr);
  auto second = running.add("0000000000000002", 4, 0, nullptr);
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
  auto old = running.add("0000000000000001", 1, 3, nullptr);
  CHECK(running.remove(old) == 3);
  auto reused = running.add("0000000000000002", 2, 5, nullptr);
  CHECK(reused == old);
  CHECK(running.remove(reused) == 5);
  CHECK(running.size() == 0);
}

TEST_CASE("cancel stops only the held task with that id and attempt" * doctest::timeout(30)) {
  node_impl::RunningTasks running;
  auto wanted = std::make_shared<node_impl::TaskStop>();
  auto other_attempt = std::make_shared<node_impl::TaskStop>();
  running.add("0000000000000001", 2, 0, wanted);
  running.add("0000000000000002", 1, 0, other_attempt);
  CHECK_FALSE(running.cancel("0000000000000002", 2));
  CHECK_FALSE(running.cancel("00000000000000ff", 1));
  CHECK_FALSE(other_attempt->cancelled());
  CHECK(running.cancel("0000000000000001", 2));
  CHECK(wanted->cancelled());
  CHECK(wanted->token().stop_requested());
}

TEST_CASE("a removed task and a task that runs nowhere cannot be cancelled" * doctest::timeout(30)) {
  node_impl::RunningTasks running;
  auto stop = std::make_shared<node_impl::TaskStop>();
  running.remove(running.add("0000000000000001", 1, 0, stop));
  CHECK_FALSE(running.cancel("0000000000000001", 1));
  CHECK_FALSE(stop->cancelled());
  running.add("0000000000000002", 1, 0, nullptr);
  CHECK_FALSE(running.cancel("0000000000000002", 1));
}

}  // namespace zerotask::testing

// TaskContext's conventional progress, as any implementation sends it.
#include <doctest/doctest.h>

#include "test_context.hpp"

namespace zerotask::testing {

TEST_CASE("report_progress(done, total, message) sends {done, total, message}, leaving out an empty message" *
          doctest::timeout(30)) {
  TestContext context;
  context.report_progress(3, 10, "resizing");
  context.report_progress(4, 10);
  REQUIRE(context.progress().size() == 2);
  CHECK(context.progress()[0] == json{{"done", 3}, {"total", 10}, {"message", "resizing"}});
  CHECK(context.progress()[1] == json{{"done", 4}, {"total", 10}});
}

}  // namespace zerotask::testing

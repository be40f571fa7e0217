// TaskStop: a task's stop token, and which of its cancel and its deadline came first.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <thread>

#include "task_stop.hpp"

namespace zerotask::testing {
namespace {

using namespace std::chrono_literals;
using node_impl::StopCause;
using node_impl::TaskStop;
using Clock = TaskStop::Clock;

}  // namespace

TEST_CASE("cancel fires the token and is noted, and request_stop fires it without being a cancel" * doctest::timeout(30)) {
  TaskStop cancelled;
  CHECK_FALSE(cancelled.token().stop_requested());
  cancelled.cancel();
  CHECK(cancelled.cancelled());
  CHECK(cancelled.token().stop_requested());
  TaskStop stopping;
  stopping.request_stop();
  CHECK(stopping.token().stop_requested());
  CHECK_FALSE(stopping.cancelled());
  CHECK(stopping.cause(std::nullopt, Clock::now()) == StopCause::None);
}

TEST_CASE("a task neither cancelled nor past its deadline keeps its outcome" * doctest::timeout(30)) {
  TaskStop stop;
  auto now = Clock::now();
  CHECK(stop.cause(std::nullopt, now) == StopCause::None);
  CHECK(stop.cause(now + 1h, now) == StopCause::None);
}

TEST_CASE("a task returning at or past its deadline timed out, even when a cancel came after the deadline" *
          doctest::timeout(30)) {
  TaskStop stop;
  auto deadline = Clock::now();
  CHECK(stop.cause(deadline, deadline) == StopCause::TimedOut);
  std::this_thread::sleep_for(2ms);
  stop.cancel();
  CHECK(stop.cause(deadline, Clock::now()) == StopCause::TimedOut);
}

TEST_CASE("a cancel before the deadline decides, even when the task returns past the deadline" * doctest::timeout(30)) {
  TaskStop stop;
  stop.cancel();
  auto later = Clock::now() + 1ms;
  CHECK(stop.cause(std::nullopt, later) == StopCause::Cancelled);
  CHECK(stop.cause(later, later + 1h) == StopCause::Cancelled);
}

TEST_CASE("a cancel that comes after the function returned does not change its outcome" * doctest::timeout(30)) {
  TaskStop stop;
  auto returned = Clock::now();
  std::this_thread::sleep_for(2ms);
  stop.cancel();
  CHECK(stop.cause(std::nullopt, returned) == StopCause::None);
}

TEST_CASE("only the first cancel is noted" * doctest::timeout(30)) {
  TaskStop stop;
  stop.cancel();
  auto between = Clock::now() + 1ms;
  std::this_thread::sleep_for(2ms);
  stop.cancel();
  // Had the second cancel been noted, it would come after the deadline.
  CHECK(stop.cause(between, between + 1h) == StopCause::Cancelled);
}

}  // namespace zerotask::testing

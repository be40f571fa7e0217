// TaskTimer: stop sources fired at their deadlines, unless disarmed.
#include <doctest/doctest.h>

#include <chrono>
#include <stop_token>

#include "task_timer.hpp"
#include "test_support.hpp"

namespace zerotask::testing {
namespace {

using namespace std::chrono_literals;
using Clock = node_impl::TaskTimer::Clock;

}  // namespace

TEST_CASE("the timer fires each stop source at its deadline, the earliest first" * doctest::timeout(30)) {
  node_impl::TaskTimer timer;
  std::stop_source late;
  std::stop_source early;
  auto start = Clock::now();
  timer.arm(start + 10s, late);
  // Armed second but due first: the timer must wake earlier than it planned.
  timer.arm(start + 50ms, early);
  REQUIRE(wait_until([&] { return early.stop_requested(); }, 5s));
  CHECK(Clock::now() - start >= 50ms);
  CHECK_FALSE(late.stop_requested());
}

TEST_CASE("a disarmed stop source never fires, and disarming one that fired does nothing" * doctest::timeout(30)) {
  node_impl::TaskTimer timer;
  std::stop_source disarmed;
  std::stop_source fired;
  auto start = Clock::now();
  auto key = timer.arm(start + 50ms, disarmed);
  timer.disarm(key);
  auto fired_key = timer.arm(start + 100ms, fired);
  REQUIRE(wait_until([&] { return fired.stop_requested(); }, 5s));
  timer.disarm(fired_key);
  CHECK_FALSE(disarmed.stop_requested());
}

TEST_CASE("destroying the timer with a source armed returns at once without firing it" * doctest::timeout(30)) {
  std::stop_source armed;
  auto start = Clock::now();
  {
    node_impl::TaskTimer timer;
    timer.arm(start + 1h, armed);
  }
  CHECK(Clock::now() - start < 5s);
  CHECK_FALSE(armed.stop_requested());
}

}  // namespace zerotask::testing

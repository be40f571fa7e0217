// unix_time_ms (common/include/zerotask/clock.hpp): the protocol's timestamps.
#include <doctest/doctest.h>

#include <chrono>

#include "zerotask/clock.hpp"

TEST_CASE("unix_time_ms is the system clock in milliseconds since the Unix epoch" * doctest::timeout(10)) {
  auto to_ms = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  auto before = to_ms(std::chrono::system_clock::now());
  auto now = zerotask::unix_time_ms();
  auto after = to_ms(std::chrono::system_clock::now());
  CHECK(before <= now);
  CHECK(now <= after);
  CHECK(now > 1577836800000);  // after 2020-01-01: milliseconds, not seconds
}

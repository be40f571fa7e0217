// Task ids (common/include/zerotask/task_id.hpp): 16 lowercase hex digits that sort
// by creation time, and the generator that hands them out.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "zerotask/task_id.hpp"

using zerotask::TaskId;
using zerotask::TaskIdGenerator;

namespace {

using WallClock = std::chrono::system_clock;

// 2020-01-01T00:00:00Z, the zero point of the time bits.
const WallClock::time_point kEpoch = WallClock::time_point(std::chrono::milliseconds(1577836800000));

}  // namespace

TEST_CASE("format_task_id writes 16 lowercase hex digits with leading zeros" * doctest::timeout(10)) {
  CHECK(zerotask::format_task_id(0) == "0000000000000000");
  CHECK(zerotask::format_task_id(1) == "0000000000000001");
  CHECK(zerotask::format_task_id(0x0123456789abcdefULL) == "0123456789abcdef");
  CHECK(zerotask::format_task_id(0xffffffffffffffffULL) == "ffffffffffffffff");
  CHECK(zerotask::format_task_id(0xABCULL) == "0000000000000abc");
}

TEST_CASE("task ids round-trip through format and parse" * doctest::timeout(10)) {
  TaskIdGenerator generator;
  std::vector<TaskId> ids = {
      0, 1, 0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0xffffffffffffffffULL, generator.next(), generator.next()};
  for (TaskId id : ids) {
    CAPTURE(id);
    auto parsed = zerotask::parse_task_id(zerotask::format_task_id(id));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == id);
  }
}

TEST_CASE("parse_task_id rejects anything but exactly 16 lowercase hex digits" * doctest::timeout(10)) {
  for (std::string_view text : {"", "0", "000000000000000", "00000000000000000", "0123456789ABCDEF", "0123456789abcdeF",
                                "0x23456789abcdef", "0123456789abcdeg", " 123456789abcdef", "0123456789abcde ",
                                "-123456789abcdef", "+123456789abcdef", "0123456789abcd\n", "zzzzzzzzzzzzzzzz"}) {
    CAPTURE(text);
    CHECK_FALSE(zerotask::parse_task_id(text).has_value());
  }
  CHECK_FALSE(zerotask::parse_task_id(std::string_view("0123456789abcd\0f", 16)).has_value());
}

TEST_CASE("a task id keeps the milliseconds since 2020 in its upper 42 bits" * doctest::timeout(10)) {
  TaskIdGenerator generator;
  TaskId id = generator.next(kEpoch + std::chrono::milliseconds(1234));
  CHECK((id >> 22) == 1234);
  CHECK((id & ((TaskId{1} << 22) - 1)) == 0);
}

TEST_CASE("ids made later sort after ids made earlier, as numbers and as text" * doctest::timeout(10)) {
  TaskIdGenerator first_generator;
  TaskIdGenerator second_generator;
  WallClock::time_point now = WallClock::now();
  TaskId earlier = first_generator.next(now);
  TaskId later = second_generator.next(now + std::chrono::milliseconds(1));
  CHECK(earlier < later);
  CHECK(zerotask::format_task_id(earlier) < zerotask::format_task_id(later));

  // Over a long span too: a day and a decade apart.
  TaskId next_day = second_generator.next(now + std::chrono::hours(24));
  TaskId next_decade = second_generator.next(now + std::chrono::hours(24 * 3650));
  CHECK(later < next_day);
  CHECK(next_day < next_decade);
  CHECK(zerotask::format_task_id(next_day) < zerotask::format_task_id(next_decade));
}

TEST_CASE("ids made within the same millisecond are distinct and increasing" * doctest::timeout(10)) {
  TaskIdGenerator generator;
  WallClock::time_point now = kEpoch + std::chrono::hours(1);
  std::vector<TaskId> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(generator.next(now));
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  CHECK(ids.back() - ids.front() == 999);

  std::vector<std::string> texts;
  for (TaskId id : ids) texts.push_back(zerotask::format_task_id(id));
  CHECK(std::is_sorted(texts.begin(), texts.end()));
}

TEST_CASE("a clock that steps back never makes an id repeat or go down" * doctest::timeout(10)) {
  TaskIdGenerator generator;
  WallClock::time_point now = kEpoch + std::chrono::hours(2);
  TaskId before = generator.next(now);
  TaskId after_step_back = generator.next(now - std::chrono::seconds(30));
  CHECK(after_step_back == before + 1);
  TaskId much_earlier = generator.next(kEpoch - std::chrono::hours(1));
  CHECK(much_earlier == before + 2);
}

TEST_CASE("more ids in one millisecond than the sequence bits hold still increase" * doctest::timeout(10)) {
  TaskIdGenerator generator;
  WallClock::time_point now = kEpoch + std::chrono::hours(3);
  TaskId previous = generator.next(now);
  constexpr int kBurst = (1 << 22) + 10;
  bool increasing = true;
  for (int i = 0; i < kBurst; ++i) {
    TaskId id = generator.next(now);
    increasing = increasing && id > previous;
    previous = id;
  }
  CHECK(increasing);
  // The next millisecond's ids continue above the burst instead of reusing its range.
  CHECK(generator.next(now + std::chrono::milliseconds(1)) > previous);
}

TEST_CASE("the first id before 2020 is still a valid non-zero id" * doctest::timeout(10)) {
  TaskIdGenerator generator;
  TaskId id = generator.next(kEpoch - std::chrono::hours(24));
  CHECK(id == 1);
  CHECK(zerotask::parse_task_id(zerotask::format_task_id(id)) == id);
}

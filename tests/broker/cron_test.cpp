#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cron.hpp"

using zerotask::broker::CronExpression;

namespace {

constexpr std::int64_t kMinute = 60'000;

// Milliseconds since the epoch for a UTC wall time, through std::chrono so the
// expectations do not share calendar code with the class under test.
std::int64_t utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  using namespace std::chrono;
  const sys_days date{year{y} / month{mo} / day{d}};
  return duration_cast<milliseconds>((date + hours{h} + minutes{mi}).time_since_epoch()).count();
}

std::int64_t next(std::string_view expression, std::int64_t after) {
  return CronExpression::parse(expression).next_after(after);
}

// The successive firing times after `start`.
std::vector<std::int64_t> firings(std::string_view expression, std::int64_t start, int count) {
  const CronExpression cron = CronExpression::parse(expression);
  std::vector<std::int64_t> times;
  for (std::int64_t t = start; static_cast<int>(times.size()) < count;) {
    t = cron.next_after(t);
    times.push_back(t);
  }
  return times;
}

}  // namespace

TEST_CASE("a star in every field fires at the start of the next minute" * doctest::timeout(10)) {
  const std::int64_t t = utc(2024, 5, 17, 10, 42);
  CHECK(next("* * * * *", t) == t + kMinute);
  CHECK(next("* * * * *", t + 1) == t + kMinute);
  CHECK(next("* * * * *", t + kMinute - 1) == t + kMinute);
  CHECK(next("* * * * *", t - 1) == t);
}

TEST_CASE("the result is strictly after the given time even when that time matches" * doctest::timeout(10)) {
  const std::int64_t noon = utc(2024, 5, 17, 12, 0);
  CHECK(next("0 12 * * *", noon) == utc(2024, 5, 18, 12, 0));
  CHECK(next("0 12 * * *", noon - 1) == noon);
}

TEST_CASE("single values pin the minute and the hour" * doctest::timeout(10)) {
  CHECK(next("30 14 * * *", utc(2024, 5, 17, 10, 0)) == utc(2024, 5, 17, 14, 30));
  CHECK(next("30 14 * * *", utc(2024, 5, 17, 14, 30)) == utc(2024, 5, 18, 14, 30));
  CHECK(next("5 * * * *", utc(2024, 5, 17, 10, 6)) == utc(2024, 5, 17, 11, 5));
  CHECK(next("59 23 * * *", utc(2024, 5, 17, 0, 0)) == utc(2024, 5, 17, 23, 59));
  CHECK(next("0 0 * * *", utc(2024, 5, 17, 0, 0)) == utc(2024, 5, 18, 0, 0));
}

TEST_CASE("a day of month, a month and a weekday each restrict the date" * doctest::timeout(10)) {
  CHECK(next("0 0 15 * *", utc(2024, 5, 17)) == utc(2024, 6, 15));
  CHECK(next("0 0 * 3 *", utc(2024, 5, 17)) == utc(2025, 3, 1));
  CHECK(next("0 0 * * 1", utc(2024, 5, 17)) == utc(2024, 5, 20));  // 2024-05-17 is a Friday
  CHECK(next("0 0 * * 5", utc(2024, 5, 17)) == utc(2024, 5, 24));
}

TEST_CASE("ranges, lists and steps expand to the expected minutes" * doctest::timeout(10)) {
  const std::int64_t h = utc(2024, 1, 1, 0, 0) - 1;
  auto at = [](int hour, int minute) { return utc(2024, 1, 1, hour, minute); };
  CHECK(firings("*/15 * * * *", h, 5) == std::vector{at(0, 0), at(0, 15), at(0, 30), at(0, 45), at(1, 0)});
  CHECK(firings("10-20/5 * * * *", h, 4) == std::vector{at(0, 10), at(0, 15), at(0, 20), at(1, 10)});
  CHECK(firings("50/4 * * * *", h, 4) == std::vector{at(0, 50), at(0, 54), at(0, 58), at(1, 50)});
  CHECK(firings("1,2,59 * * * *", h, 4) == std::vector{at(0, 1), at(0, 2), at(0, 59), at(1, 1)});
  CHECK(firings("58-59 * * * *", h, 3) == std::vector{at(0, 58), at(0, 59), at(1, 58)});
  CHECK(firings("0 9-10,22 * * *", h, 4) == std::vector{at(9, 0), at(10, 0), at(22, 0), utc(2024, 1, 2, 9, 0)});
  CHECK(firings("0 */7 * * *", h, 5) == std::vector{at(0, 0), at(7, 0), at(14, 0), at(21, 0), utc(2024, 1, 2, 0, 0)});
  CHECK(firings("7,1-3,*/30 * * * *", h, 6) ==
        std::vector{at(0, 0), at(0, 1), at(0, 2), at(0, 3), at(0, 7), at(0, 30)});
  CHECK(firings("0 0 */10 * *", h, 4) ==
        std::vector{utc(2024, 1, 1), utc(2024, 1, 11), utc(2024, 1, 21), utc(2024, 1, 31)});
  CHECK(firings("0 0 1 */5 *", h, 4) ==
        std::vector{utc(2024, 1, 1), utc(2024, 6, 1), utc(2024, 11, 1), utc(2025, 1, 1)});
}

TEST_CASE("month and weekday names are case-insensitive and mean their numbers" * doctest::timeout(10)) {
  const std::int64_t t = utc(2024, 5, 17, 12, 0);  // a Friday
  CHECK(next("0 0 1 jan *", t) == next("0 0 1 1 *", t));
  CHECK(next("0 0 1 Feb-Apr *", t) == next("0 0 1 2-4 *", t));
  CHECK(next("0 0 1 JUN,dec *", t) == next("0 0 1 6,12 *", t));
  CHECK(next("0 0 1 mar/3 *", t) == next("0 0 1 3-12/3 *", t));
  const std::array<std::string_view, 12> months = {"JAN", "feb", "Mar", "aPr", "MAY", "jun",
                                                   "JUL", "aug", "SEP", "oct", "NOV", "dec"};
  for (int m = 1; m <= 12; ++m) {
    CHECK(next("0 0 1 " + std::string(months[m - 1]) + " *", t) == next("0 0 1 " + std::to_string(m) + " *", t));
  }
  const std::array<std::string_view, 7> days = {"sun", "MON", "Tue", "wed", "THU", "fri", "SAT"};
  for (int d = 0; d < 7; ++d) {
    CHECK(next("0 0 * * " + std::string(days[d]), t) == next("0 0 * * " + std::to_string(d), t));
  }
  CHECK(firings("0 0 * * MON-FRI", t, 3) == std::vector{utc(2024, 5, 20), utc(2024, 5, 21), utc(2024, 5, 22)});
}

TEST_CASE("weekday 7 is Sunday like 0" * doctest::timeout(10)) {
  const std::int64_t t = utc(2024, 5, 17, 12, 0);  // a Friday
  CHECK(next("0 0 * * 7", t) == utc(2024, 5, 19));
  CHECK(next("0 0 * * 0", t) == utc(2024, 5, 19));
  CHECK(firings("0 0 * * 5-7", t, 3) == std::vector{utc(2024, 5, 18), utc(2024, 5, 19), utc(2024, 5, 24)});
  CHECK(firings("0 0 * * 0-7", t, 3) == std::vector{utc(2024, 5, 18), utc(2024, 5, 19), utc(2024, 5, 20)});
}

TEST_CASE("open-ended weekday steps stop at Saturday rather than a second Sunday" * doctest::timeout(10)) {
  const std::int64_t t = utc(2024, 5, 18, 12, 0);  // a Saturday
  // 1/2 is Mon, Wed, Fri: Sunday (7) is not one of them.
  CHECK(firings("0 0 * * 1/2", t, 3) == std::vector{utc(2024, 5, 20), utc(2024, 5, 22), utc(2024, 5, 24)});
  CHECK(firings("0 0 * * */3", t, 3) == std::vector{utc(2024, 5, 19), utc(2024, 5, 22), utc(2024, 5, 25)});
  // 7/2 starts past Saturday: it is Sunday alone, not an empty field.
  CHECK(firings("0 0 * * 7/2", t, 2) == std::vector{utc(2024, 5, 19), utc(2024, 5, 26)});
}

TEST_CASE("each macro fires like its five-field expansion" * doctest::timeout(10)) {
  const std::vector<std::pair<std::string, std::string>> macros = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}, {"@DAILY", "0 0 * * *"},    {"  @hourly\t", "0 * * * *"}};
  const std::int64_t t = utc(2024, 5, 17, 12, 34);
  for (const auto& macro : macros) {
    CAPTURE(macro.first);
    CHECK(firings(macro.first, t, 5) == firings(macro.second, t, 5));
  }
  CHECK(next("@yearly", t) == utc(2025, 1, 1));
  CHECK(next("@monthly", t) == utc(2024, 6, 1));
  CHECK(next("@weekly", t) == utc(2024, 5, 19));
  CHECK(next("@daily", t) == utc(2024, 5, 18));
  CHECK(next("@hourly", t) == utc(2024, 5, 17, 13, 0));
}

TEST_CASE("restricting both day of month and weekday fires on either" * doctest::timeout(10)) {
  // The 13th of each month and every Friday, from Wednesday 2024-09-11.
  CHECK(firings("0 0 13 * 5", utc(2024, 9, 11), 4) ==
        std::vector{utc(2024, 9, 13), utc(2024, 9, 20), utc(2024, 9, 27), utc(2024, 10, 4)});
  CHECK(firings("0 0 1,15 * MON", utc(2024, 4, 28), 4) ==
        std::vector{utc(2024, 4, 29), utc(2024, 5, 1), utc(2024, 5, 6), utc(2024, 5, 13)});
  // The OR does not leak across months: only January days qualify.
  CHECK(next("0 0 31 1 MON", utc(2024, 2, 1)) == utc(2025, 1, 6));
}

TEST_CASE("a day field starting with a star makes both day fields required, as in Vixie cron" * doctest::timeout(10)) {
  // Fridays only: the day of month is unrestricted.
  CHECK(next("0 0 * * 5", utc(2024, 9, 11)) == utc(2024, 9, 13));
  // The 13th only.
  CHECK(next("0 0 13 * *", utc(2024, 9, 14)) == utc(2024, 10, 13));
  // `*/7` in the weekday field is Sunday, and starts with `*`: the 1st that is a Sunday.
  CHECK(next("0 0 1 * */7", utc(2024, 1, 1)) == utc(2024, 9, 1));
  // `*/2` in the day of month (odd days) with Mondays: odd-numbered Mondays.
  CHECK(firings("0 0 */2 * 1", utc(2024, 5, 1), 3) == std::vector{utc(2024, 5, 13), utc(2024, 5, 27), utc(2024, 6, 3)});
}

TEST_CASE("the search rolls over hours, days, months and years" * doctest::timeout(10)) {
  CHECK(next("* * * * *", utc(2024, 12, 31, 23, 59)) == utc(2025, 1, 1, 0, 0));
  CHECK(next("0 * * * *", utc(2024, 6, 30, 23, 0)) == utc(2024, 7, 1, 0, 0));
  CHECK(next("0 0 1 * *", utc(2024, 1, 31, 12, 0)) == utc(2024, 2, 1));
  CHECK(next("0 0 31 * *", utc(2024, 4, 1)) == utc(2024, 5, 31));  // April has no 31st
  CHECK(next("0 0 * 2 *", utc(2023, 2, 28, 0, 0)) == utc(2024, 2, 1));
  CHECK(next("30 12 25 12 *", utc(2024, 12, 25, 12, 30)) == utc(2025, 12, 25, 12, 30));
  CHECK(next("0 0 1 1 *", utc(2024, 1, 1)) == utc(2025, 1, 1));
  CHECK(next("* * * * *", utc(2023, 2, 28, 23, 59)) == utc(2023, 3, 1));
  CHECK(next("* * * * *", utc(2024, 2, 28, 23, 59)) == utc(2024, 2, 29));
}

TEST_CASE("the 29th of February fires only in leap years, skipping 2100" * doctest::timeout(10)) {
  CHECK(next("0 0 29 2 *", utc(2024, 3, 1)) == utc(2028, 2, 29));
  CHECK(next("0 0 29 2 *", utc(1999, 3, 1)) == utc(2000, 2, 29));   // 2000 divides by 400
  CHECK(next("0 0 29 2 *", utc(2096, 2, 29)) == utc(2104, 2, 29));  // 2100 does not
  CHECK(next("0 0 29 2 *", utc(1896, 3, 1)) == utc(1904, 2, 29));
  CHECK(next("0 0 * 2 *", utc(2100, 2, 28, 0, 0)) == utc(2101, 2, 1));
}

TEST_CASE("a rare date and weekday combination is found decades ahead" * doctest::timeout(10)) {
  // February 29th that is a Sunday: 2004, 2032, 2060, 2088, then 2128.
  const CronExpression cron = CronExpression::parse("0 0 29 2 */7");
  CHECK(cron.next_after(utc(2004, 1, 1)) == utc(2004, 2, 29));
  CHECK(cron.next_after(utc(2004, 3, 1)) == utc(2032, 2, 29));
  CHECK(cron.next_after(utc(2088, 3, 1)) == utc(2128, 2, 29));
}

TEST_CASE("times before 1970 work like any other" * doctest::timeout(10)) {
  CHECK(next("* * * * *", -1) == 0);
  CHECK(next("* * * * *", -kMinute) == 0);
  CHECK(next("* * * * *", -kMinute - 1) == -kMinute);
  CHECK(next("0 0 * * *", utc(1969, 12, 31, 12, 0)) == 0);
  CHECK(next("0 0 * * 3", utc(1969, 12, 29)) == utc(1969, 12, 31));  // a Wednesday
  CHECK(next("0 0 29 2 *", utc(1900, 1, 1)) == utc(1904, 2, 29));
}

TEST_CASE("the extremes of int64 time neither overflow nor crash" * doctest::timeout(10)) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  CHECK_THROWS_AS(next("* * * * *", kMax), std::out_of_range);
  CHECK_THROWS_AS(next("0 0 1 1 *", kMax - 24 * 60 * kMinute), std::out_of_range);  // mid-August
  const std::int64_t last_minute = kMax / kMinute * kMinute;
  CHECK(next("* * * * *", last_minute - 1) == last_minute);
  const std::int64_t first = next("* * * * *", kMin);
  CHECK(first > kMin);
  CHECK(first - kMin <= kMinute);
  CHECK(first % kMinute == 0);
  CHECK(next("0 0 1 1 *", kMin) > kMin);
}

TEST_CASE("text returns the expression exactly as given" * doctest::timeout(10)) {
  CHECK(CronExpression::parse("*/5 * * * mon-fri").text() == "*/5 * * * mon-fri");
  CHECK(CronExpression::parse("  0\t0 * * *  ").text() == "  0\t0 * * *  ");
  CHECK(CronExpression::parse("@Daily").text() == "@Daily");
}

TEST_CASE("spaces and tabs in any number separate the fields" * doctest::timeout(10)) {
  const std::int64_t t = utc(2024, 5, 17, 12, 34);
  CHECK(next(" \t30\t\t14  *\t* *\t", t) == next("30 14 * * *", t));
}

TEST_CASE("malformed expressions are rejected with a message naming the field and the problem" * doctest::timeout(10)) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "cron expression is empty"},
      {" \t ", "cron expression is empty"},
      {"* * * *", "cron expression has 4 fields, expected 5 (minute hour day-of-month month day-of-week)"},
      {"0 * * * * *", "cron expression has 6 fields, expected 5 (minute hour day-of-month month day-of-week)"},
      {"@reboot", "unknown cron macro '@reboot'"},
      {"@", "unknown cron macro '@'"},
      {"@daily *", "cron macro '@daily' must stand alone"},
      {"60 * * * *", "cron field 1 (minute): 60 is out of range 0-59"},
      {"0 24 * * *", "cron field 2 (hour): 24 is out of range 0-23"},
      {"0 0 0 * *", "cron field 3 (day of month): 0 is out of range 1-31"},
      {"0 0 32 * *", "cron field 3 (day of month): 32 is out of range 1-31"},
      {"0 0 * 0 *", "cron field 4 (month): 0 is out of range 1-12"},
      {"0 0 * 13 *", "cron field 4 (month): 13 is out of range 1-12"},
      {"0 0 * * 8", "cron field 5 (day of week): 8 is out of range 0-7"},
      {"99999999999999999999 * * * *", "cron field 1 (minute): 99999999999999999999 is out of range 0-59"},
      {"1,99999999999999999999999999999 * * * *",
       "cron field 1 (minute): 999999999999999999999999... is out of range 0-59"},
      {"0 0-24 * * *", "cron field 2 (hour): 24 is out of range 0-23"},
      {"30-10 * * * *", "cron field 1 (minute): range 30-10 is reversed"},
      {"0 0 * * FRI-MON", "cron field 5 (day of week): range FRI-MON is reversed"},
      {"0 0 * * SAT-SUN", "cron field 5 (day of week): range SAT-SUN is reversed"},
      {"*/0 * * * *", "cron field 1 (minute): step 0 is out of range 1-59"},
      {"* */24 * * *", "cron field 2 (hour): step 24 is out of range 1-23"},
      {"*/60 * * * *", "cron field 1 (minute): step 60 is out of range 1-59"},
      {"*/99999999999999999999 * * * *", "cron field 1 (minute): step 99999999999999999999 is out of range 1-59"},
      {"*/ * * * *", "cron field 1 (minute): missing step after '/'"},
      {"*/x * * * *", "cron field 1 (minute): step 'x' is not a number"},
      {"*/2/3 * * * *", "cron field 1 (minute): step '2/3' is not a number"},
      {"*/-1 * * * *", "cron field 1 (minute): step '-1' is not a number"},
      {"/5 * * * *", "cron field 1 (minute): '' is not a number"},
      {"1,,2 * * * *", "cron field 1 (minute): empty list item"},
      {"1, * * * *", "cron field 1 (minute): empty list item"},
      {", * * * *", "cron field 1 (minute): empty list item"},
      {"5- * * * *", "cron field 1 (minute): range '5-' is missing a bound"},
      {"-5 * * * *", "cron field 1 (minute): range '-5' is missing a bound"},
      {"1-2-3 * * * *", "cron field 1 (minute): '2-3' is not a number"},
      {"*-5 * * * *", "cron field 1 (minute): '*' is not a number"},
      {"** * * * *", "cron field 1 (minute): '**' is not a number"},
      {"x * * * *", "cron field 1 (minute): 'x' is not a number"},
      {"1x * * * *", "cron field 1 (minute): '1x' is not a number"},
      {"+1 * * * *", "cron field 1 (minute): '+1' is not a number"},
      {"JAN * * * *", "cron field 1 (minute): 'JAN' is not a number"},
      {"0 0 MON * *", "cron field 3 (day of month): 'MON' is not a number"},
      {"0 0 * MON *", "cron field 4 (month): 'MON' is not a number or month name"},
      {"0 0 * JANUARY *", "cron field 4 (month): 'JANUARY' is not a number or month name"},
      {"0 0 * * JAN", "cron field 5 (day of week): 'JAN' is not a number or weekday name"},
      {"0 0 * * MONDAY", "cron field 5 (day of week): 'MONDAY' is not a number or weekday name"},
      {"0 0 * * 1\n", "cron field 5 (day of week): '1\n' is not a number or weekday name"},
      {"0 0 30 2 *",
       "cron field 3 (day of month): no allowed day exists in any allowed month, so '0 0 30 2 *' never fires"},
      {"0 0 31 4,6,9,11 *",
       "cron field 3 (day of month): no allowed day exists in any allowed month, so '0 0 31 4,6,9,11 *' never "
       "fires"},
      {"0 0 30,31 feb */7",
       "cron field 3 (day of month): no allowed day exists in any allowed month, so '0 0 30,31 feb */7' never "
       "fires"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.first);
    CHECK_THROWS_WITH_AS(CronExpression::parse(c.first), c.second.c_str(), std::invalid_argument);
  }
}

TEST_CASE("a day missing from some allowed months still fires in the others" * doctest::timeout(10)) {
  CHECK(next("0 0 31 2,3 *", utc(2024, 4, 1)) == utc(2025, 3, 31));
  CHECK(next("0 0 30 2 MON", utc(2024, 2, 1)) == utc(2024, 2, 5));  // either rule: Mondays in February
  CHECK(next("0 0 30 * *", utc(2024, 1, 31)) == utc(2024, 3, 30));
}

TEST_CASE("arbitrary garbage never crashes the parser" * doctest::timeout(30)) {
  std::mt19937_64 rng(12345);
  const std::string alphabet = "0123456789*/-,@ \t\nJANMONsunx\x80\xff";
  int parsed = 0;
  const std::vector<std::string> seeds = {"*/5 * * * MON-FRI", "0 0 29 2 *", "@daily", "1-2,3/4 0 1 jan sun", ""};
  for (int i = 0; i < 20'000; ++i) {
    // Valid expressions with a few characters changed, inserted or removed.
    std::string text = seeds[rng() % seeds.size()];
    const int edits = static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = text.empty() ? 0 : rng() % text.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: text.insert(at, 1, c); break;
        case 1:
          if (!text.empty()) text[at] = c;
          break;
        default:
          if (!text.empty()) text.erase(at, 1);
          break;
      }
    }
    try {
      const CronExpression cron = CronExpression::parse(text);
      ++parsed;
      const std::int64_t t = static_cast<std::int64_t>(rng() % (400ULL * 365 * 24 * 60 * kMinute));
      const std::int64_t fired = cron.next_after(t);
      CHECK(fired > t);
      CHECK(fired % kMinute == 0);
      CHECK(cron.next_after(fired - 1) == fired);
    } catch (const std::invalid_argument&) {
    }
  }
  CHECK(parsed > 0);
}

namespace {

// A cron field written out together with the values it should mean, built
// without the parser so the property check below has an independent oracle.
struct RandomField {
  std::string text;
  std::vector<bool> values;  // indexed by value
};

struct FieldShape {
  int min;
  int max;
  int open_max;
  std::vector<std::string> names;  // names[i] means first_name + i
  int first_name;
};

const std::array<FieldShape, 5> kShapes = {{
    {0, 59, 59, {}, 0},
    {0, 23, 23, {}, 0},
    {1, 31, 31, {}, 0},
    {1, 12, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}, 1},
    {0, 7, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}, 0},
}};

int pick(std::mt19937_64& rng, int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(rng);
}

std::string write_value(std::mt19937_64& rng, const FieldShape& shape, int value) {
  const int name_index = value - shape.first_name;
  if (shape.names.empty() || name_index < 0 || name_index >= static_cast<int>(shape.names.size()) ||
      pick(rng, 0, 2) != 0) {
    return std::to_string(value);
  }
  std::string name = shape.names[name_index];
  for (char& c : name) {
    if (pick(rng, 0, 1) == 0) c = static_cast<char>(c - 'a' + 'A');
  }
  return name;
}

RandomField random_field(std::mt19937_64& rng, const FieldShape& shape) {
  RandomField field{"", std::vector<bool>(shape.max + 1, false)};
  if (pick(rng, 0, 9) < 4) {
    field.text = "*";
    for (int v = shape.min; v <= shape.open_max; ++v) field.values[v] = true;
    return field;
  }
  const int items = pick(rng, 1, 3);
  for (int i = 0; i < items; ++i) {
    if (i > 0) field.text += ",";
    int low = pick(rng, shape.min, shape.max);
    int high = low;
    int step = 1;
    switch (pick(rng, 0, 4)) {
      case 0:  // */S
        low = shape.min;
        high = shape.open_max;
        step = pick(rng, 1, shape.max);
        field.text += "*/" + std::to_string(step);
        break;
      case 1:  // N
        field.text += write_value(rng, shape, low);
        break;
      case 2:  // A-B
        high = pick(rng, low, shape.max);
        field.text += write_value(rng, shape, low) + "-" + write_value(rng, shape, high);
        break;
      case 3:  // A-B/S
        high = pick(rng, low, shape.max);
        step = pick(rng, 1, shape.max);
        field.text += write_value(rng, shape, low) + "-" + write_value(rng, shape, high) + "/" + std::to_string(step);
        break;
      default:  // N/S
        low = pick(rng, shape.min, shape.open_max);
        high = shape.open_max;
        step = pick(rng, 1, shape.max);
        field.text += write_value(rng, shape, low) + "/" + std::to_string(step);
        break;
    }
    for (int v = low; v <= high; v += step) field.values[v] = true;
  }
  return field;
}

struct Oracle {
  std::array<RandomField, 5> fields;

  std::string text() const {
    return fields[0].text + " " + fields[1].text + " " + fields[2].text + " " + fields[3].text + " " + fields[4].text;
  }

  bool date_matches(std::int64_t day) const {
    using namespace std::chrono;
    const sys_days date{days{day}};
    const year_month_day ymd{date};
    if (!fields[3].values[static_cast<unsigned>(ymd.month())]) return false;
    const unsigned wd = weekday{date}.c_encoding();
    const bool dom = fields[2].values[static_cast<unsigned>(ymd.day())];
    const bool dow = fields[4].values[wd] || (wd == 0 && fields[4].values[7]);
    if (fields[2].text[0] == '*' || fields[4].text[0] == '*') return dom && dow;
    return dom || dow;
  }

  // Minute by minute, except that a day whose date does not match is passed over whole.
  std::optional<std::int64_t> next_after(std::int64_t ms, std::int64_t max_days) const {
    std::int64_t minute = (ms >= 0 ? ms / kMinute : -((-ms + kMinute - 1) / kMinute)) + 1;
    auto day_of = [](std::int64_t m) { return m >= 0 ? m / 1440 : -((-m + 1439) / 1440); };
    const std::int64_t last_day = day_of(minute) + max_days;
    while (day_of(minute) <= last_day) {
      const std::int64_t day = day_of(minute);
      if (!date_matches(day)) {
        minute = (day + 1) * 1440;
        continue;
      }
      const std::int64_t in_day = minute - day * 1440;
      if (fields[1].values[in_day / 60] && fields[0].values[in_day % 60]) return minute * kMinute;
      ++minute;
    }
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE("next_after agrees with a brute-force matcher on random expressions and times" * doctest::timeout(60)) {
  std::mt19937_64 rng(20240517);
  const std::int64_t earliest = utc(1850, 1, 1);
  const std::int64_t latest = utc(2250, 1, 1);
  int checked = 0;
  for (int i = 0; i < 4000; ++i) {
    Oracle oracle;
    for (int f = 0; f < 5; ++f) oracle.fields[f] = random_field(rng, kShapes[f]);
    const std::string text = oracle.text();
    CAPTURE(text);
    std::int64_t t = std::uniform_int_distribution<std::int64_t>(earliest, latest)(rng);
    if (pick(rng, 0, 3) == 0) t -= t % kMinute;  // exact minute boundaries too
    CAPTURE(t);
    std::optional<CronExpression> cron;
    try {
      cron = CronExpression::parse(text);
    } catch (const std::invalid_argument&) {
      // Rejected only if it truly never fires: nothing in a whole 400-year cycle.
      CHECK_FALSE(oracle.next_after(t, 146'097).has_value());
      continue;
    }
    const std::optional<std::int64_t> expected = oracle.next_after(t, 146'097);
    REQUIRE(expected.has_value());
    CHECK(cron->next_after(t) == *expected);
    ++checked;
  }
  CHECK(checked > 3000);
}

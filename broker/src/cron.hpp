// CronExpression: a parsed five-field cron schedule ("*/5 9-17 * * MON-FRI") that
// tells the broker's periodic schedules when they next fire, in UTC.
// An immutable value: any thread may call its const members concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace zerotask::broker {

class CronExpression {
 public:
  // Parses "minute hour day-of-month month day-of-week", fields separated by spaces
  // or tabs. Each field is a comma list of `*`, `N`, `A-B`, `*/S`, `A-B/S` or `N/S`
  // (step S from 1 to the field's maximum, so `*/60` in minutes is an error, not
  // "minute 0"). Months may be JAN-DEC and weekdays SUN-SAT, in any case; weekday
  // 7 is Sunday like 0. `*` and `N/S` in the weekday field stop at 6 so that `1/2`
  // does not pick Sunday. Also accepts, in any case, @yearly (@annually),
  // @monthly, @weekly, @daily (@midnight) and @hourly.
  //
  // Throws std::invalid_argument naming the field and the problem. An expression
  // that can never fire ("0 0 30 2 *") is rejected here too, so every parsed
  // expression has a next time and next_after needs no "never" sentinel.
  static CronExpression parse(std::string_view text);

  // The start of the first matching minute strictly after `unix_ms` (ms since the
  // Unix epoch), in UTC. Day of month and day of week follow Vixie cron: when
  // neither field starts with `*`, a day matching either one matches; otherwise
  // both must. Looks at most one 400-year Gregorian cycle ahead, which always
  // holds a match. Throws std::out_of_range only if that match lies beyond what
  // int64 milliseconds can hold (about 292 million years from 1970).
  std::int64_t next_after(std::int64_t unix_ms) const;

  // The expression exactly as given to parse.
  const std::string& text() const { return text_; }

 private:
  CronExpression() = default;
  bool day_matches(int day_of_month, int weekday) const;
  // The first minute of the day at or after `from` (0-1439) whose hour and minute
  // match, or -1.
  int first_minute_from(int from) const;

  std::string text_;
  std::uint64_t minutes_ = 0;        // bit n set: minute n matches
  std::uint32_t hours_ = 0;          // bit n: hour n
  std::uint32_t days_of_month_ = 0;  // bit n: day n (1-31)
  std::uint32_t months_ = 0;         // bit n: month n (1-12)
  std::uint32_t weekdays_ = 0;       // bit n: weekday n, 0 = Sunday (7 folded into 0)
  bool day_of_month_star_ = false;   // the field starts with `*` (Vixie's DOM_STAR)
  bool weekday_star_ = false;        // the field starts with `*` (Vixie's DOW_STAR)
};

}  // namespace zerotask::broker

#include "cron.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <limits>
#include <span>
#include <stdexcept>
#include <vector>

namespace zerotask::broker {
namespace {

constexpr std::int64_t kMsPerMinute = 60'000;
constexpr std::int64_t kMinutesPerDay = 1'440;
// Dates and weekdays repeat every 400 Gregorian years, so a search this long finds
// any date that can ever match.
constexpr std::int64_t kDaysPerCycle = 146'097;

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  int open_max;  // where `*` and `N/S` stop: the weekday field leaves out 7, a second Sunday
  std::span<const std::string_view> names;
  int first_name_value;  // the value of names[0]
  std::string_view name_kind;
};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, 59, {}, 0, ""},
    {"hour", 0, 23, 23, {}, 0, ""},
    {"day of month", 1, 31, 31, {}, 0, ""},
    {"month", 1, 12, 12, kMonthNames, 1, "month"},
    {"day of week", 0, 7, 6, kWeekdayNames, 0, "weekday"},
}};

struct Macro {
  std::string_view name;
  std::string_view expansion;
};

constexpr std::array<Macro, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

// ASCII only: std::tolower is undefined for negative chars, and cron names are ASCII.
char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != b[i]) return false;
  }
  return true;
}

// Keeps messages short when the input is a megabyte of garbage.
std::string quoted(std::string_view token) {
  constexpr std::size_t kMaxShown = 24;
  if (token.size() <= kMaxShown) return "'" + std::string(token) + "'";
  return "'" + std::string(token.substr(0, kMaxShown)) + "...'";
}

std::string shown(std::string_view token) {
  std::string q = quoted(token);
  return q.substr(1, q.size() - 2);
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    std::size_t end = text.find_first_of(" \t", i);
    if (end == std::string_view::npos) end = text.size();
    fields.push_back(text.substr(i, end - i));
    i = end;
  }
  return fields;
}

class FieldParser {
 public:
  FieldParser(int index, const FieldSpec& spec) : index_(index), spec_(spec) {}

  // Returns the field's values as a bit set.
  std::uint64_t parse(std::string_view field) const {
    std::uint64_t bits = 0;
    std::size_t start = 0;
    while (true) {
      std::size_t comma = field.find(',', start);
      std::string_view item = field.substr(start, comma == std::string_view::npos ? field.npos : comma - start);
      bits |= parse_item(item);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return bits;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw std::invalid_argument("cron field " + std::to_string(index_ + 1) + " (" + std::string(spec_.name) +
                                "): " + problem);
  }

  std::string range_text() const { return std::to_string(spec_.min) + "-" + std::to_string(spec_.max); }

  static bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  }

  std::uint64_t parse_item(std::string_view item) const {
    if (item.empty()) fail("empty list item");
    std::string_view range = item;
    int step = 1;
    bool stepped = false;
    if (std::size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      step = parse_step(item.substr(slash + 1));
      stepped = true;
    }

    int low = 0;
    int high = 0;
    if (range == "*") {
      low = spec_.min;
      high = spec_.open_max;
    } else if (std::size_t dash = range.find('-'); dash != std::string_view::npos) {
      std::string_view first = range.substr(0, dash);
      std::string_view last = range.substr(dash + 1);
      if (first.empty() || last.empty()) fail("range " + quoted(range) + " is missing a bound");
      low = parse_value(first);
      high = parse_value(last);
      if (low > high) fail("range " + shown(range) + " is reversed");
    } else {
      low = parse_value(range);
      // `N/S` is `N-max/S`; a weekday 7 (Sunday) stepped stays Sunday.
      high = stepped ? std::max(low, spec_.open_max) : low;
    }

    std::uint64_t bits = 0;
    for (int v = low; v <= high; v += step) bits |= std::uint64_t{1} << v;
    return bits;
  }

  int parse_step(std::string_view text) const {
    if (text.empty()) fail("missing step after '/'");
    if (!all_digits(text)) fail("step " + quoted(text) + " is not a number");
    int step = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), step);
    // Steps above the maximum are rejected rather than read as "only the first
    // value": `*/60` in the minute field is a mistake, not a schedule.
    if (ec != std::errc{} || step < 1 || step > spec_.max) {
      fail("step " + shown(text) + " is out of range 1-" + std::to_string(spec_.max));
    }
    return step;
  }

  int parse_value(std::string_view text) const {
    if (all_digits(text)) {
      int value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc{} || value < spec_.min || value > spec_.max) {
        fail(shown(text) + " is out of range " + range_text());
      }
      return value;
    }
    for (std::size_t i = 0; i < spec_.names.size(); ++i) {
      if (iequals(text, spec_.names[i])) return spec_.first_name_value + static_cast<int>(i);
    }
    if (spec_.names.empty()) fail(quoted(text) + " is not a number");
    fail(quoted(text) + " is not a number or " + std::string(spec_.name_kind) + " name");
  }

  int index_;
  const FieldSpec& spec_;
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct CivilDate {
  std::int64_t year;
  int month;  // 1-12
  int day;    // 1-31
};

// Howard Hinnant's days_from_civil / civil_from_days, in int64 so that any
// int64 millisecond time has a date.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;                                    // [0, 399]
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * kDaysPerCycle + doe - 719'468;
}

CivilDate civil_from_days(std::int64_t z) {
  z += 719'468;
  const std::int64_t era = floor_div(z, kDaysPerCycle);
  const std::int64_t doe = z - era * kDaysPerCycle;                                // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

// 0 = Sunday; 1970-01-01 was a Thursday.
int weekday_of(std::int64_t days) {
  return static_cast<int>(days + 4 - floor_div(days + 4, 7) * 7);
}

// The longest each month can be: February counts its leap day, which some year has.
constexpr std::array<int, 13> kMaxDaysInMonth = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

}  // namespace

CronExpression CronExpression::parse(std::string_view text) {
  std::vector<std::string_view> fields = split_fields(text);
  if (fields.empty()) throw std::invalid_argument("cron expression is empty");

  if (fields[0].starts_with('@')) {
    if (fields.size() != 1) throw std::invalid_argument("cron macro " + quoted(fields[0]) + " must stand alone");
    for (const Macro& macro : kMacros) {
      if (iequals(fields[0], macro.name)) {
        CronExpression expression = parse(macro.expansion);
        expression.text_ = std::string(text);
        return expression;
      }
    }
    throw std::invalid_argument("unknown cron macro " + quoted(fields[0]));
  }
  if (fields.size() != kFields.size()) {
    throw std::invalid_argument("cron expression has " + std::to_string(fields.size()) +
                                " fields, expected 5 (minute hour day-of-month month day-of-week)");
  }

  std::array<std::uint64_t, 5> bits{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    bits[i] = FieldParser(static_cast<int>(i), kFields[i]).parse(fields[i]);
  }

  CronExpression expression;
  expression.text_ = std::string(text);
  expression.minutes_ = bits[0];
  expression.hours_ = static_cast<std::uint32_t>(bits[1]);
  expression.days_of_month_ = static_cast<std::uint32_t>(bits[2]);
  expression.months_ = static_cast<std::uint32_t>(bits[3]);
  expression.weekdays_ = static_cast<std::uint32_t>((bits[4] | bits[4] >> 7) & 0x7F);  // 7 is Sunday too
  expression.day_of_month_star_ = fields[2].starts_with('*');
  expression.weekday_star_ = fields[4].starts_with('*');

  // Every (month, day) falls on every weekday somewhere in the 400-year cycle, and
  // a day-of-month field starting with `*` includes the 1st. So the expression can
  // only never fire when the weekday field is a `*` field that cannot widen the
  // days of the month, and none of those days exists in an allowed month.
  if (expression.day_of_month_star_ || !expression.weekday_star_) return expression;
  for (int month = 1; month <= 12; ++month) {
    const std::uint64_t existing_days = (std::uint64_t{2} << kMaxDaysInMonth[month]) - 2;  // bits 1..max
    if ((expression.months_ >> month & 1) && (expression.days_of_month_ & existing_days)) return expression;
  }
  throw std::invalid_argument("cron field 3 (day of month): no allowed day exists in any allowed month, so " +
                              quoted(text) + " never fires");
}

bool CronExpression::day_matches(int day_of_month, int weekday) const {
  const bool dom = days_of_month_ >> day_of_month & 1;
  const bool dow = weekdays_ >> weekday & 1;
  // Vixie cron: with both fields restricted, either suffices ("0 0 1 * MON" is the
  // 1st and every Monday).
  if (day_of_month_star_ || weekday_star_) return dom && dow;
  return dom || dow;
}

int CronExpression::first_minute_from(int from) const {
  for (int hour = from / 60; hour < 24; ++hour) {
    if (!(hours_ >> hour & 1)) continue;
    const int first = hour == from / 60 ? from % 60 : 0;
    const std::uint64_t left = minutes_ >> first << first;
    if (left != 0) return hour * 60 + std::countr_zero(left);
  }
  return -1;
}

std::int64_t CronExpression::next_after(std::int64_t unix_ms) const {
  const std::int64_t start_minute = floor_div(unix_ms, kMsPerMinute) + 1;  // strictly after
  const std::int64_t first_day = floor_div(start_minute, kMinutesPerDay);
  const std::int64_t last_day = first_day + kDaysPerCycle;

  std::int64_t day = first_day;
  while (day <= last_day) {
    const CivilDate date = civil_from_days(day);
    if (!(months_ >> date.month & 1)) {
      // Skip the rest of the month in one step.
      day = date.month == 12 ? days_from_civil(date.year + 1, 1, 1) : days_from_civil(date.year, date.month + 1, 1);
      continue;
    }
    if (day_matches(date.day, weekday_of(day))) {
      const int from = day == first_day ? static_cast<int>(start_minute - first_day * kMinutesPerDay) : 0;
      if (const int minute = first_minute_from(from); minute >= 0) {
        // Count minutes first: day * ms-per-day alone can overflow near the int64 limits.
        const std::int64_t minutes = day * kMinutesPerDay + minute;
        if (minutes > std::numeric_limits<std::int64_t>::max() / kMsPerMinute) {
          throw std::out_of_range("cron expression " + quoted(std::string_view(text_)) +
                                  " next fires beyond the int64 time range");
        }
        return minutes * kMsPerMinute;
      }
    }
    ++day;
  }
  // parse() rejects expressions that never fire, so this is a bug, not bad input.
  throw std::logic_error("cron expression " + quoted(std::string_view(text_)) + " found no match in 400 years");
}

}  // namespace zerotask::broker

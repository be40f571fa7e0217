#include "zerotask/task_id.hpp"

#include <charconv>

namespace zerotask {
namespace {

constexpr int kSequenceBits = 22;
constexpr std::int64_t kEpochMs = 1577836800000;  // 2020-01-01T00:00:00Z

}  // namespace

std::string format_task_id(TaskId id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i) {
    text[static_cast<std::size_t>(i)] = kDigits[id & 0xf];
    id >>= 4;
  }
  return text;
}

std::optional<TaskId> parse_task_id(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  for (char c : text) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return std::nullopt;
  }
  TaskId id = 0;
  std::from_chars(text.data(), text.data() + text.size(), id, 16);
  return id;
}

TaskId TaskIdGenerator::next(std::chrono::system_clock::time_point now) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() - kEpochMs;
  TaskId candidate = static_cast<TaskId>(ms < 0 ? 0 : ms) << kSequenceBits;
  // A clock that steps back or a burst past 4M ids/ms keeps counting from the last id.
  last_ = candidate > last_ ? candidate : last_ + 1;
  return last_;
}

}  // namespace zerotask

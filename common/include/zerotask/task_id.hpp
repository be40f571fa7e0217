// Task ids: 64-bit values that sort by creation time, written on the wire as 16
// lowercase hex digits. The upper 42 bits are milliseconds since 2020-01-01 UTC, the
// lower 22 a sequence within that millisecond.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zerotask {

using TaskId = std::uint64_t;

std::string format_task_id(TaskId id);
// nullopt unless `text` is exactly 16 hex digits.
std::optional<TaskId> parse_task_id(std::string_view text);

// Hands out increasing ids. Not thread-safe: one generator per owning thread.
class TaskIdGenerator {
 public:
  TaskId next(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
  // Every later id will be above `id` (ids recovered from a store stay unique even
  // if the clock stepped back).
  void skip_past(TaskId id) { last_ = id > last_ ? id : last_; }

 private:
  TaskId last_ = 0;
};

}  // namespace zerotask

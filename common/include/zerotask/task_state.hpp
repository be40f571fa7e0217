// The states of a task (docs/PROTOCOL.md, "Task states") and their names on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace zerotask {

enum class TaskState : std::uint8_t { Pending, Queued, Running, Succeeded, Failed, Cancelled };

std::string_view to_string(TaskState state);
std::optional<TaskState> parse_task_state(std::string_view name);

// SUCCEEDED, FAILED and CANCELLED: the task will not change again.
constexpr bool is_final(TaskState state) {
  return state == TaskState::Succeeded || state == TaskState::Failed || state == TaskState::Cancelled;
}

}  // namespace zerotask

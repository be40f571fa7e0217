#include "zerotask/task_state.hpp"

#include <array>
#include <utility>

namespace zerotask {
namespace {

constexpr std::array<std::pair<TaskState, std::string_view>, 6> kStateNames{{
    {TaskState::Pending, "PENDING"},
    {TaskState::Queued, "QUEUED"},
    {TaskState::Running, "RUNNING"},
    {TaskState::Succeeded, "SUCCEEDED"},
    {TaskState::Failed, "FAILED"},
    {TaskState::Cancelled, "CANCELLED"},
}};

}  // namespace

std::string_view to_string(TaskState state) { return kStateNames[static_cast<std::size_t>(state)].second; }

std::optional<TaskState> parse_task_state(std::string_view name) {
  for (const auto& [state, text] : kStateNames) {
    if (text == name) return state;
  }
  return std::nullopt;
}

}  // namespace zerotask

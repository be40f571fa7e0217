#include "task_tracking.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "zerotask/errors.hpp"

namespace zerotask::detail {
namespace {

// How long the broker may hold one task.wait.
constexpr std::chrono::milliseconds kLongPoll{60000};
// How long past kLongPoll a task.wait may go unanswered before it is sent again.
constexpr std::chrono::milliseconds kLongPollGrace{10000};

std::exception_ptr malformed(const std::string& what) {
  return std::make_exception_ptr(ProtocolError(rpc::kInternalError, "malformed answer from the broker: " + what));
}

// The member `key` of `value` when `value` is an object and that member a string.
json* string_member(json& value, const char* key) {
  if (!value.is_object()) return nullptr;
  auto it = value.find(key);
  return it != value.end() && it->is_string() ? &*it : nullptr;
}

// The exception of a FAILED task, from its error member.
std::exception_ptr task_failed(const json& task, const std::string& id) {
  int code = rpc::kTaskFailed;
  std::string message = "task " + id + " failed";
  json data = json::object();
  if (auto error = task.find("error"); error != task.end() && error->is_object()) {
    if (auto it = error->find("code"); it != error->end() && it->is_number_integer()) code = it->get<int>();
    if (auto it = error->find("message"); it != error->end() && it->is_string()) message = it->get<std::string>();
    if (auto it = error->find("data"); it != error->end() && it->is_object()) data = *it;
  }
  if (!data.contains("task")) data["task"] = id;
  return std::make_exception_ptr(TaskFailed(code, message, std::move(data)));
}

// Completes `state` from a task object when the task is final; false when it is not.
bool settle(FutureState& state, json&& task) {
  const std::string& id = state.id();
  const json* name = string_member(task, "state");
  if (name == nullptr) {
    state.fail(malformed("task.wait returned no task state"));
    return true;
  }
  std::optional<TaskState> task_state = parse_task_state(name->get_ref<const std::string&>());
  if (!task_state) {
    state.fail(malformed("unknown task state " + name->dump()));
    return true;
  }
  switch (*task_state) {
    case TaskState::Succeeded: {
      auto result = task.find("result");
      state.succeed(result == task.end() ? json(nullptr) : std::move(*result));
      return true;
    }
    case TaskState::Failed: state.fail(task_failed(task, id), TaskState::Failed); return true;
    case TaskState::Cancelled:
      state.fail(std::make_exception_ptr(Cancelled(rpc::kCancelled, "task " + id + " was cancelled", {{"task", id}})),
                 TaskState::Cancelled);
      return true;
    case TaskState::Pending:
    case TaskState::Queued:
    case TaskState::Running: return false;
  }
  return false;
}

void on_wait_answer(Connection& connection, const std::shared_ptr<FutureState>& state, Outcome&& outcome) {
  switch (outcome.kind) {
    case Outcome::Kind::TimedOut:
      // The broker kept the long poll past its timeout; ask again.
      follow_task(connection, state);
      return;
    case Outcome::Kind::Result:
      if (!settle(*state, std::move(outcome.result))) {
        follow_task(connection, state);
        return;
      }
      break;
    case Outcome::Kind::RpcError:
    case Outcome::Kind::Unreachable: state->fail(to_exception(std::move(outcome), ErrorMapping::Raw)); break;
  }
  connection.stop_progress(state);
}

}  // namespace

void submit_task(Connection& connection, std::shared_ptr<FutureState> state, json submit_params) {
  auto done = [&connection, state](Outcome&& outcome) {
    if (!outcome.ok()) {
      state->fail(to_exception(std::move(outcome), ErrorMapping::Raw));
      connection.stop_progress(state);
      return;
    }
    json* id = string_member(outcome.result, "id");
    if (id == nullptr) {
      state->fail(malformed("task.submit returned no task id"));
      connection.stop_progress(state);
      return;
    }
    state->acknowledge(std::move(id->get_ref<std::string&>()));
    connection.start_progress(state);
    follow_task(connection, state);
  };
  connection.send(
      connection.make_request("task.submit", std::move(submit_params), std::chrono::milliseconds(0), std::move(done)));
}

void follow_task(Connection& connection, std::shared_ptr<FutureState> state) {
  json params = json::object();
  params["id"] = state->id();
  params["timeout_ms"] = kLongPoll.count();
  connection.send(connection.make_request(
      "task.wait", std::move(params), kLongPoll + kLongPollGrace,
      [&connection, state](Outcome&& outcome) { on_wait_answer(connection, state, std::move(outcome)); }));
}

}  // namespace zerotask::detail

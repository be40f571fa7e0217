#include "task_tracking.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
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

// The exception of a FAILED task (TaskFailed) or a CANCELLED one (Cancelled), from
// its error member when it has one: a task cancelled because a dependency did not
// succeed names that dependency in its error's data.
template <class Exception>
std::exception_ptr task_error(const json& task, const std::string& id, int code, std::string message) {
  json data = json::object();
  if (auto error = task.find("error"); error != task.end() && error->is_object()) {
    if (auto it = error->find("code"); it != error->end() && it->is_number_integer()) code = it->get<int>();
    if (auto it = error->find("message"); it != error->end() && it->is_string()) message = it->get<std::string>();
    if (auto it = error->find("data"); it != error->end() && it->is_object()) data = *it;
  }
  if (!data.contains("task")) data["task"] = id;
  return std::make_exception_ptr(Exception(code, std::move(message), std::move(data)));
}

// Hands the event callbacks the partial results a final task object holds: those
// whose events were missed (published before the subscription took effect, or
// dropped) reach on_partial() callbacks before the future completes.
void replay_partials(FutureState& state, const json& task) {
  if (state.event_callbacks.empty() || !task.is_object()) return;
  auto partials = task.find("partials");
  if (partials == task.end() || !partials->is_array()) return;
  for (std::size_t index = 0; index < partials->size(); ++index) {
    state.notify({{"partial", (*partials)[index]}, {"index", index}});
  }
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
  if (is_final(*task_state)) replay_partials(state, task);
  switch (*task_state) {
    case TaskState::Succeeded: {
      auto result = task.find("result");
      state.succeed(result == task.end() ? json(nullptr) : std::move(*result));
      return true;
    }
    case TaskState::Failed:
      state.fail(task_error<TaskFailed>(task, id, rpc::kTaskFailed, "task " + id + " failed"), TaskState::Failed);
      return true;
    case TaskState::Cancelled:
      state.fail(task_error<Cancelled>(task, id, rpc::kCancelled, "task " + id + " was cancelled"),
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
  connection.stop_events(state);
}

// Ends the futures of a submission that did not go through.
void refuse_all(Connection& connection, const std::vector<std::shared_ptr<FutureState>>& states,
                const std::exception_ptr& error) {
  for (const auto& state : states) {
    state->fail(error);
    connection.stop_events(state);
  }
}

// The future of an acknowledged submission: its id, its events, its long polls.
void start_following(Connection& connection, const std::shared_ptr<FutureState>& state, std::string id) {
  state->acknowledge(std::move(id));
  connection.start_events(state);
  follow_task(connection, state);
}

}  // namespace

void submit_task(Connection& connection, std::shared_ptr<FutureState> state, json submit_params) {
  auto done = [&connection, state](Outcome&& outcome) {
    if (!outcome.ok()) return refuse_all(connection, {state}, to_exception(std::move(outcome), ErrorMapping::Raw));
    json* id = string_member(outcome.result, "id");
    if (id == nullptr) return refuse_all(connection, {state}, malformed("task.submit returned no task id"));
    start_following(connection, state, std::move(id->get_ref<std::string&>()));
  };
  connection.send(
      connection.make_request("task.submit", std::move(submit_params), std::chrono::milliseconds(0), std::move(done)));
}

void submit_tasks(Connection& connection, std::vector<std::shared_ptr<FutureState>> states, json entries) {
  auto done = [&connection, states](Outcome&& outcome) {
    if (!outcome.ok()) return refuse_all(connection, states, to_exception(std::move(outcome), ErrorMapping::Raw));
    json ids = outcome.result.is_object() ? outcome.result.value("ids", json()) : json();
    bool readable = ids.is_array() && ids.size() == states.size() &&
                    std::all_of(ids.begin(), ids.end(), [](const json& id) { return id.is_string(); });
    if (!readable) {
      return refuse_all(connection, states, malformed("task.submit_many returned no id for each task"));
    }
    for (std::size_t k = 0; k < states.size(); ++k) {
      start_following(connection, states[k], std::move(ids[k].get_ref<std::string&>()));
    }
  };
  json params = json::object();
  params["tasks"] = std::move(entries);
  connection.send(
      connection.make_request("task.submit_many", std::move(params), std::chrono::milliseconds(0), std::move(done)));
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

#include "zerotask/task_future.hpp"

#include <memory>
#include <utility>

#include "connection.hpp"
#include "future_state.hpp"
#include "outcome.hpp"
#include "zerotask/errors.hpp"

namespace zerotask {

TaskFuture::TaskFuture(std::shared_ptr<detail::FutureState> state) : state_(std::move(state)) {}

const std::string& TaskFuture::id() const {
  return state_->id();
}

TaskState TaskFuture::status() const {
  // A final state never changes, and the broker forgets finished tasks after a while.
  if (auto final_state = state_->final_state()) return *final_state;
  json params = {{"id", state_->id()}};
  detail::Outcome outcome = state_->connection()->send_and_wait("task.get", std::move(params), {});
  if (!outcome.ok()) detail::throw_failure(std::move(outcome), detail::ErrorMapping::Raw);
  const json& task = outcome.result;
  if (task.is_object()) {
    if (auto name = task.find("state"); name != task.end() && name->is_string()) {
      if (auto state = parse_task_state(name->get_ref<const std::string&>())) return *state;
    }
  }
  throw ProtocolError(rpc::kInternalError, "malformed answer from the broker: task.get returned no task state");
}

bool TaskFuture::wait(std::chrono::milliseconds timeout) const {
  return state_->wait_until(detail::deadline_after(detail::Clock::now(), timeout));
}

json TaskFuture::result() const {
  return state_->result();
}

void TaskFuture::cancel() const {
  json params = {{"id", state_->id()}};
  detail::Outcome outcome = state_->connection()->send_and_wait("task.cancel", std::move(params), {});
  if (!outcome.ok()) detail::throw_failure(std::move(outcome), detail::ErrorMapping::Raw);
}

void TaskFuture::on_progress(std::function<void(const json& progress)> callback) const {
  state_->connection()->watch_events(state_, [callback = std::move(callback)](const json& event) {
    if (auto progress = event.find("progress"); progress != event.end()) callback(*progress);
  });
}

void TaskFuture::on_partial(std::function<void(const json& partial, std::size_t index)> callback) const {
  // Shared: the I/O thread runs copies of the callbacks.
  auto next_index = std::make_shared<std::size_t>(0);
  state_->connection()->watch_events(state_, [callback = std::move(callback), next_index](const json& event) {
    auto partial = event.find("partial");
    auto index = event.find("index");
    if (partial == event.end() || index == event.end() || !index->is_number_unsigned()) return;
    auto position = index->get<std::size_t>();
    if (position < *next_index) return;
    *next_index = position + 1;
    callback(*partial, position);
  });
}

std::shared_future<json> TaskFuture::as_std_future() const {
  return state_->std_future();
}

}  // namespace zerotask

#include "zerotask/client.hpp"

#include <utility>

#include "connection.hpp"
#include "future_state.hpp"
#include "outcome.hpp"
#include "task_tracking.hpp"
#include "workflow.hpp"

namespace zerotask {
namespace {

// How long a timed-out call may spend asking broker.functions why.
constexpr std::chrono::milliseconds kDiagnosisTimeout{1000};

// Whether the broker.functions answer lists `function` with at least one node.
bool node_serves(const json& answer, const std::string& function) {
  auto list = answer.find("functions");
  if (list == answer.end() || !list->is_array()) return false;
  for (const json& entry : *list) {
    if (!entry.is_object() || entry.value("name", json()) != function) continue;
    auto nodes = entry.find("nodes");
    return nodes != entry.end() && nodes->is_number() && nodes->get<double>() > 0;
  }
  return false;
}

// One task.submit_many of `entries`; a future per entry, in their order.
std::vector<TaskFuture> submit_many(const std::shared_ptr<detail::Connection>& connection, json entries) {
  std::vector<std::shared_ptr<detail::FutureState>> states;
  std::vector<TaskFuture> futures;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    states.push_back(std::make_shared<detail::FutureState>(connection));
    futures.emplace_back(states.back());
  }
  detail::submit_tasks(*connection, std::move(states), std::move(entries));
  return futures;
}

}  // namespace

// The Client's state is its connection; futures hold it weakly through its base.
class Client::Impl : public detail::Connection {
 public:
  using Connection::Connection;
};

Client::Client(std::string broker_endpoint, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(broker_endpoint), std::move(options))) {}

Client::~Client() {
  impl_->close();
}

json Client::call_params(const std::string& function, json params, CallOptions options) {
  std::chrono::milliseconds timeout = options.timeout.count() > 0 ? options.timeout : impl_->options().call_timeout;
  json submit = submit_request_params(function, std::move(params), options);
  submit["wait"] = true;
  detail::Outcome outcome = impl_->send_and_wait("task.submit", std::move(submit), timeout);
  if (outcome.ok()) return std::move(outcome.result);
  if (outcome.kind != detail::Outcome::Kind::TimedOut) {
    detail::throw_failure(std::move(outcome), detail::ErrorMapping::Task);
  }

  // A call that never ends is nearly always a call of a function no node serves;
  // say so rather than leave the caller guessing.
  std::string message = "call of '" + function + "' timed out after " + std::to_string(timeout.count()) + " ms";
  detail::Outcome functions = impl_->send_and_wait("broker.functions", nullptr, kDiagnosisTimeout);
  if (functions.ok() && functions.result.is_object() && !node_serves(functions.result, function)) {
    message += ": no node serves '" + function + "'";
  }
  throw TimedOut(rpc::kTimedOut, message, json{{"function", function}});
}

TaskFuture Client::submit_params(const std::string& function, json params, SubmitOptions options) {
  auto state = std::make_shared<detail::FutureState>(impl_);
  detail::submit_task(*impl_, state, submit_request_params(function, std::move(params), options));
  return TaskFuture(std::move(state));
}

TaskFuture Client::chain(std::vector<TaskSpec> steps) {
  return submit_many(impl_, detail::chain_entries(std::move(steps))).back();
}

GroupFuture Client::group(std::vector<TaskSpec> members) {
  return GroupFuture(submit_many(impl_, detail::group_entries(std::move(members))));
}

TaskFuture Client::chord(std::vector<TaskSpec> header, TaskSpec body) {
  return submit_many(impl_, detail::chord_entries(std::move(header), std::move(body))).back();
}

TaskFuture Client::attach(const std::string& task_id) {
  auto state = std::make_shared<detail::FutureState>(impl_);
  state->acknowledge(task_id);
  detail::follow_task(*impl_, state);
  return TaskFuture(std::move(state));
}

json Client::request(const std::string& method, json params, std::chrono::milliseconds timeout) {
  detail::Outcome outcome = impl_->send_and_wait(method, std::move(params), timeout);
  if (!outcome.ok()) detail::throw_failure(std::move(outcome), detail::ErrorMapping::Raw);
  return std::move(outcome.result);
}

const std::string& Client::broker_endpoint() const {
  return impl_->broker_endpoint();
}

}  // namespace zerotask

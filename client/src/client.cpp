#include "zerotask/client.hpp"

#include <utility>

#include "connection.hpp"
#include "future_state.hpp"
#include "outcome.hpp"
#include "task_tracking.hpp"

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

// The task.submit params of a call or submission of `function`.
json submission(const std::string& function, json params, const SubmitOptions& options) {
  json submit = json::object();
  submit["function"] = function;
  submit["params"] = std::move(params);
  if (options.require_node) submit["require_node"] = true;
  if (options.max_retries) submit["max_retries"] = *options.max_retries;
  if (options.task_timeout) submit["timeout_ms"] = options.task_timeout->count();
  // Without one of the caller's, the connection adds a key of its own.
  if (!options.idempotency_key.empty()) submit["idempotency_key"] = options.idempotency_key;
  return submit;
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
  json submit = submission(function, std::move(params), options);
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
  detail::submit_task(*impl_, state, submission(function, std::move(params), options));
  return TaskFuture(std::move(state));
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

#include "zerotask/submit_options.hpp"

#include <utility>

namespace zerotask {
namespace {

const char* dependency_failure_name(DependencyFailure value) {
  switch (value) {
    case DependencyFailure::Cancel: return "cancel";
    case DependencyFailure::Run: return "run";
  }
  return "cancel";
}

const char* pass_results_name(PassResults value) {
  switch (value) {
    case PassResults::None: return "none";
    case PassResults::Prepend: return "prepend";
    case PassResults::List: return "list";
  }
  return "none";
}

}  // namespace

json submit_request_params(const std::string& function, json params, const SubmitOptions& options) {
  json submit = json::object();
  submit["function"] = function;
  submit["params"] = std::move(params);
  if (options.require_node) submit["require_node"] = true;
  if (options.max_retries) submit["max_retries"] = *options.max_retries;
  if (options.task_timeout) submit["timeout_ms"] = options.task_timeout->count();
  // Without one of the caller's, the connection adds a key of its own.
  if (!options.idempotency_key.empty()) submit["idempotency_key"] = options.idempotency_key;
  if (!options.queue.empty()) submit["queue"] = options.queue;
  if (options.priority) submit["priority"] = *options.priority;
  if (options.countdown) submit["countdown_ms"] = options.countdown->count();
  if (options.eta) {
    submit["eta"] = std::chrono::duration_cast<std::chrono::milliseconds>(options.eta->time_since_epoch()).count();
  }
  if (!options.depends_on.empty()) submit["depends_on"] = options.depends_on;
  if (options.on_dependency_failure != DependencyFailure::Cancel) {
    submit["on_dependency_failure"] = dependency_failure_name(options.on_dependency_failure);
  }
  if (options.pass_results != PassResults::None) submit["pass_results"] = pass_results_name(options.pass_results);
  if (options.unique) submit["unique"] = true;
  if (options.result_ttl) submit["result_ttl_ms"] = options.result_ttl->count();
  return submit;
}

}  // namespace zerotask

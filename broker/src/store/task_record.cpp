#include "store/task_record.hpp"

namespace zerotask::broker {

std::string_view to_string(DependencyFailure policy) {
  return policy == DependencyFailure::Run ? "run" : "cancel";
}

std::string_view to_string(PassResults pass) {
  switch (pass) {
    case PassResults::Prepend: return "prepend";
    case PassResults::List: return "list";
    case PassResults::None: break;
  }
  return "none";
}

const std::string& RareText::str() const {
  static const std::string kNone;
  return text_ ? *text_ : kNone;
}

std::string_view to_string(CallbackState state) {
  switch (state) {
    case CallbackState::Pending: return "pending";
    case CallbackState::Delivered: return "delivered";
    case CallbackState::Failed: return "failed";
    case CallbackState::None: break;
  }
  return "";
}

json to_json(const TaskRecord& record) {
  json out = {{"id", format_task_id(record.id)},
              {"function", record.function},
              {"params", json::parse(record.params_json, nullptr, false)},
              {"state", to_string(record.state)},
              {"attempt", record.attempt},
              {"retries", record.retries},
              {"created_at", record.created_at}};
  if (record.max_retries >= 0) out["max_retries"] = record.max_retries;
  if (record.timeout_ms > 0) out["timeout_ms"] = record.timeout_ms;
  if (record.state == TaskState::Pending && record.run_at != 0) out["run_at"] = record.run_at;
  if (!record.idempotency_key.empty()) out["idempotency_key"] = record.idempotency_key;
  out["queue"] = record.queue;
  out["priority"] = record.priority;
  if (!record.depends_on.empty()) {
    json ids = json::array();
    for (TaskId id : record.depends_on) ids.push_back(format_task_id(id));
    out["depends_on"] = std::move(ids);
    if (record.state == TaskState::Pending && record.waiting_for > 0) out["waiting_for"] = record.waiting_for;
  }
  if (record.on_dependency_failure != DependencyFailure::Cancel) {
    out["on_dependency_failure"] = to_string(record.on_dependency_failure);
  }
  if (record.pass_results != PassResults::None) out["pass_results"] = to_string(record.pass_results);
  if (record.unique) out["unique"] = true;
  if (record.result_ttl_ms >= 0) out["result_ttl_ms"] = record.result_ttl_ms;
  if (record.cancel_requested && record.state == TaskState::Running) out["cancel_requested"] = true;
  if (record.started_at != 0) out["started_at"] = record.started_at;
  if (record.ended_at != 0) out["ended_at"] = record.ended_at;
  if (!record.node.empty()) out["node"] = record.node;
  if (!record.progress.is_null()) out["progress"] = record.progress;
  if (!record.partials.is_null()) out["partials"] = record.partials;
  if (record.partials_truncated) out["partials_truncated"] = true;
  if (record.state == TaskState::Succeeded) out["result"] = record.result;
  if (!record.error.is_null()) out["error"] = record.error;
  if (!record.callback_url.empty()) out["callback_url"] = record.callback_url.str();
  if (!record.submitter.empty()) out["submitter"] = record.submitter.str();
  if (record.callback_state != CallbackState::None) out["callback"] = to_string(record.callback_state);
  return out;
}

}  // namespace zerotask::broker

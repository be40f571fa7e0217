#include "store/task_record.hpp"

namespace zerotask::broker {

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
  if (record.started_at != 0) out["started_at"] = record.started_at;
  if (record.ended_at != 0) out["ended_at"] = record.ended_at;
  if (!record.node.empty()) out["node"] = record.node;
  if (!record.progress.is_null()) out["progress"] = record.progress;
  if (record.state == TaskState::Succeeded) out["result"] = record.result;
  if (!record.error.is_null()) out["error"] = record.error;
  return out;
}

}  // namespace zerotask::broker

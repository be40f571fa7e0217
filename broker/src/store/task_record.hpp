// TaskRecord: what the broker stores about one task, and its wire form (the task
// object of docs/PROTOCOL.md, section 3). Scheduling bookkeeping (queues, leases,
// waiters) lives in the Scheduler, not here.
#pragma once

#include <cstdint>
#include <string>

#include "zerotask/json_rpc.hpp"
#include "zerotask/task_id.hpp"
#include "zerotask/task_state.hpp"

namespace zerotask::broker {

struct TaskRecord {
  TaskId id = 0;
  std::string function;
  std::string params_json;  // the params, serialized: the store and node.run take them as they are
  TaskState state = TaskState::Queued;
  // Not stored: set on every task recovered after a restart, whose next hand-out
  // skips one attempt number (the one a hand-out sent just before a crash, whose
  // commit never happened, may have used).
  bool skip_attempt = false;
  int attempt = 0;      // hand-outs to nodes so far; with the id, the token of the current lease
  int retries = 0;      // failed attempts retried since submission or the last task.retry
  int max_retries = -1;  // -1: the function's default, else the broker's
  std::int64_t timeout_ms = 0;  // 0: the function's default, else none
  std::int64_t run_at = 0;      // PENDING: when the task is queued again (ms since the Unix epoch)
  std::string idempotency_key;  // empty: none
  std::int64_t created_at = 0;  // ms since the Unix epoch; 0 when not yet
  std::int64_t started_at = 0;
  std::int64_t ended_at = 0;
  std::string node;
  json result;    // set when SUCCEEDED
  json error;     // {code, message, data?} when FAILED or CANCELLED; null otherwise
  json progress;  // the last progress report; null when none
};

json to_json(const TaskRecord& record);

}  // namespace zerotask::broker

// TaskRecord: what the broker stores about one task, and its wire form (the task
// object of docs/PROTOCOL.md, section 3). Scheduling bookkeeping (queues, leases,
// waiters) lives in the Scheduler, not here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zerotask/json_rpc.hpp"
#include "zerotask/task_id.hpp"
#include "zerotask/task_state.hpp"

namespace zerotask::broker {

inline constexpr std::string_view kDefaultQueue = "default";
inline constexpr int kMaxPriority = 9;

// What a task does when one of its dependencies fails or is cancelled.
enum class DependencyFailure : std::uint8_t { Cancel, Run };
// How the results of a task's dependencies reach its params once they are final.
enum class PassResults : std::uint8_t { None, Prepend, List };

struct TaskRecord {
  TaskId id = 0;
  std::string function;
  std::string params_json;  // the params, serialized: the store and node.run take them as they are
  TaskState state = TaskState::Queued;
  // Not stored: set on every task recovered after a restart, whose next hand-out
  // skips one attempt number (the one a hand-out sent just before a crash, whose
  // commit never happened, may have used).
  bool skip_attempt = false;
  int attempt = 0;              // hand-outs to nodes so far; with the id, the token of the current lease
  int retries = 0;              // failed attempts retried since submission or the last task.retry
  int max_retries = -1;         // -1: the function's default, else the broker's
  std::int64_t timeout_ms = 0;  // 0: the function's default, else none
  std::int64_t run_at = 0;      // PENDING: when the task is queued again (ms since the Unix epoch)
  std::string idempotency_key;  // empty: none
  std::string queue = std::string(kDefaultQueue);
  int priority = 0;  // 0 to kMaxPriority, higher first
  std::vector<TaskId> depends_on;
  DependencyFailure on_dependency_failure = DependencyFailure::Cancel;
  PassResults pass_results = PassResults::None;
  bool unique = false;              // deduplicated against live tasks of the same function, queue and params
  std::int64_t result_ttl_ms = -1;  // how long it is kept once final; -1: the broker's default
  bool cancel_requested = false;    // RUNNING: a cancel waits for the node
  // Not stored: how many dependencies are not final yet (PENDING until 0).
  int waiting_for = 0;
  std::int64_t created_at = 0;  // ms since the Unix epoch; 0 when not yet
  std::int64_t started_at = 0;
  std::int64_t ended_at = 0;
  std::string node;
  json result;                      // set when SUCCEEDED
  json error;                       // {code, message, data?} when FAILED or CANCELLED; null otherwise
  json progress;                    // the last progress report; null when none
  json partials;                    // the partial results streamed so far, an array; null when none
  bool partials_truncated = false;  // later partials were dropped: past the payload limit
  std::size_t partials_bytes = 0;   // not stored: `partials` serialized, once counted
};

json to_json(const TaskRecord& record);
// The wire names: "cancel" / "run"; "none" / "prepend" / "list".
std::string_view to_string(DependencyFailure policy);
std::string_view to_string(PassResults pass);

}  // namespace zerotask::broker

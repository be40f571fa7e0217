// zerotask::SubmitOptions: the task.submit params a caller may set
// (docs/PROTOCOL.md, section 4), and the task.submit params they make. Values only;
// usable from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "zerotask/json_rpc.hpp"

namespace zerotask {

// What becomes of a task when one of its dependencies fails or is cancelled.
enum class DependencyFailure : std::uint8_t {
  Cancel,  // it is CANCELLED too (error kCancelled, data names the dependency)
  Run,     // it runs anyway once every dependency is final
};

// Whether the dependencies' results (in depends_on order; null for one that did not
// succeed) are put before the task's params when it is queued. Needs array params.
enum class PassResults : std::uint8_t {
  None,     // they are not
  Prepend,  // each result is one leading param
  List,     // one leading param, the array of the results
};

// Every field is sent only when set (an empty string or list, a default enum value
// and false count as unset). The broker refuses values out of range with
// ProtocolError(kInvalidParams).
struct SubmitOptions {
  // Fail with ProtocolError(kNoNode) at once if no node serves the function.
  bool require_node = false;
  // Failed attempts retried before the task is FAILED (0 to 100); unset: the
  // function's default, else the broker's --max-retries.
  std::optional<int> max_retries;
  // How long one attempt may run before it fails with kTimedOut (sent as
  // timeout_ms); unset: the function's default, else no limit. Not a deadline for
  // the caller: see CallOptions::timeout and TaskFuture::wait.
  std::optional<std::chrono::milliseconds> task_timeout;
  // While the broker holds a task submitted with this key, a submission with the
  // same key makes no task: it follows the first one. Empty: a key the client makes
  // for this submission alone. Either way the key is what lets the client send the
  // submission again after a lost connection without making a second task.
  std::string idempotency_key;
  // The named queue (1 to 128 bytes): only nodes serving that queue get the task.
  // Empty: the broker's "default" queue.
  std::string queue;
  // 0 to 9: within its queue a task of higher priority goes first, then the oldest.
  // Unset: 0.
  std::optional<int> priority;
  // The task stays PENDING this long before it is queued (sent as countdown_ms; at
  // most a year). Not with eta.
  std::optional<std::chrono::milliseconds> countdown;
  // The task stays PENDING until then (sent as ms since the Unix epoch); a time
  // already past queues it at once. Not with countdown.
  std::optional<std::chrono::system_clock::time_point> eta;
  // Ids of tasks that must all have SUCCEEDED before this one is queued (at most
  // 10,000); it stays PENDING until then. An unknown id is refused.
  std::vector<std::string> depends_on;
  // What happens when a dependency fails or is cancelled.
  DependencyFailure on_dependency_failure = DependencyFailure::Cancel;
  // Whether the dependencies' results become leading params.
  PassResults pass_results = PassResults::None;
  // While a task of the same function, params and queue submitted with unique is
  // PENDING, QUEUED or RUNNING, the submission makes nothing and follows that task.
  bool unique = false;
  // How long the broker keeps the task once it is finished (sent as result_ttl_ms;
  // at most a year). Unset: the broker's --keep-finished-ms, or --keep-failed-ms
  // for a failed task.
  std::optional<std::chrono::milliseconds> result_ttl;
};

// The task.submit params of a call of `function` with `params` and `options`: what
// Client::submit_params sends, for callers of Client::request.
json submit_request_params(const std::string& function, json params, const SubmitOptions& options);

}  // namespace zerotask

// TaskRecord: what the broker stores about one task, and its wire form (the task
// object of docs/PROTOCOL.md, section 3). Scheduling bookkeeping (queues, leases,
// waiters) lives in the Scheduler, not here.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
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
// Where the POST of a final task to its callback_url stands (docs/HTTP.md, "Webhooks").
// Pending from the moment the task is final until the delivery succeeds or gives up.
enum class CallbackState : std::uint8_t { None, Pending, Delivered, Failed };

// The Scheduler's count of one function's tasks by state (not stored).
struct FunctionTally;

// Text that few records carry, in 8 bytes while absent (a std::string takes 32 in
// every record, and the broker holds up to millions of records).
class RareText {
 public:
  RareText() = default;
  RareText(const RareText& other) { *this = other; }
  RareText(RareText&&) noexcept = default;
  RareText& operator=(const RareText& other) {
    if (this != &other) text_ = other.text_ ? std::make_unique<std::string>(*other.text_) : nullptr;
    return *this;
  }
  RareText& operator=(RareText&&) noexcept = default;
  RareText& operator=(std::string text) {
    text_ = text.empty() ? nullptr : std::make_unique<std::string>(std::move(text));
    return *this;
  }
  bool empty() const { return !text_; }
  // "" when absent.
  const std::string& str() const;

 private:
  std::unique_ptr<std::string> text_;
};

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
  // Where a final task's state is POSTed, and how that delivery stands.
  CallbackState callback_state = CallbackState::None;
  // Not stored: set while QUEUED, for the age of the oldest queued task. A task put
  // back at the front of its queue (after a lost lease) is flagged, since it may be
  // newer than the tasks behind it. (Beside the other small fields: no padding.)
  bool queued_at_front = false;
  std::size_t partials_bytes = 0;  // not stored: `partials` serialized, once counted
  RareText callback_url;           // empty: none
  RareText submitter;              // the name of the key that submitted it (Submitter); empty: none
  std::chrono::steady_clock::time_point queued_at;
  FunctionTally* tally = nullptr;  // not stored: the tally its state is counted in
};

json to_json(const TaskRecord& record);
// The wire names: "cancel" / "run"; "none" / "prepend" / "list".
std::string_view to_string(DependencyFailure policy);
std::string_view to_string(PassResults pass);
// "pending", "delivered", "failed" ("" for None).
std::string_view to_string(CallbackState state);

}  // namespace zerotask::broker

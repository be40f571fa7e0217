// The node's side of the wire protocol (docs/PROTOCOL.md, section 5) as value types
// and pure functions: the messages a node sends, encoded to the text of one frame,
// and the task entries of a node.run read out of their JSON.
//
// No sockets here; every function is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zerotask/json_rpc.hpp"
#include "zerotask/limits.hpp"
#include "zerotask/node.hpp"

namespace zerotask::node_impl {

// The protocol's upper bound of a task's timeout (zerotask/limits.hpp), as a duration.
constexpr std::chrono::milliseconds kMaxTimeout{kMaxTaskTimeoutMs};

// What one call of a function produced: its result, or the error to report instead.
struct Outcome {
  json result;
  std::optional<rpc::Error> error;
};

// One entry of node.done.
struct TaskResult {
  std::string id;
  int attempt = 0;
  Outcome outcome;
  // Not on the wire: the task's ticket in NodeLoop's RunningTasks.
  std::size_t ticket = 0;
};

// A task's lease token: its id and attempt.
struct LeaseToken {
  std::string id;
  int attempt = 0;
};

// One entry of node.hello's "functions".
struct FunctionEntry {
  std::string name;
  FunctionOptions options;
};

// What a node.progress carries: the task's progress (the broker keeps the latest)
// or a partial result (the broker keeps every one, in order).
enum class ReportKind { Progress, Partial };

// The params of one node.progress.
struct ProgressReport {
  std::string id;
  int attempt = 0;
  json value;
  ReportKind kind = ReportKind::Progress;
};

// One entry of node.run's "tasks".
struct IncomingTask {
  std::string id;
  std::string function;
  int attempt = 0;
  json params;
  std::chrono::milliseconds timeout{0};  // 0: none
};

// What a node.done or a node.progress may carry, from the broker's limits (its
// node.hello result).
struct SendLimits {
  // Nesting (arrays and objects) allowed in one result, progress or partial; deeper
  // results are replaced by a zerotask::ResultTooDeep error.
  std::size_t max_value_depth = 56;
  // Bytes of text in one message. A result whose node.done would be larger even alone
  // is replaced by a zerotask::ResultTooLarge error.
  std::size_t max_message_bytes = 8 * 1024 * 1024;
};

// A message the node keeps until the broker is known to have it: a node.done, or a
// node.progress carrying a partial result. Kept messages go out in order, wait while
// the connection is backed up, and are sent again after a rejoin until a heartbeat
// answer confirms them.
struct KeptMessage {
  std::string text;
  std::size_t results = 0;  // node.done entries in it; 0 for a partial
  bool resent = false;      // sent before, on a connection that was lost: its results are counted already
};

// A function without options is listed by its name alone; `running` is left out
// when empty.
std::string encode_hello(std::int64_t request_id, std::string_view node, std::span<const FunctionEntry> functions,
                         std::span<const std::string> queues, unsigned slots, std::span<const LeaseToken> running);
std::string encode_heartbeat(std::int64_t request_id);
std::string encode_pull(unsigned slots);
std::string encode_bye();
// The report under "progress" or "partial" as its kind says; nullopt when its value
// is over either limit (the broker would refuse it). Written straight to text: the
// value is serialized once and never copied.
std::optional<std::string> encode_progress(const ProgressReport& report, const SendLimits& limits);
// Appends to `out` the node.done messages that carry every result given, in order:
// as few messages as fit within limits.max_message_bytes each, every result once,
// with a result over either limit replaced by its error (code task_failed). Written
// straight to text: this runs once per batch of results on the hot path.
void encode_done(std::span<const TaskResult> results, const SendLimits& limits, std::vector<KeptMessage>& out);

// True when `value` nests arrays/objects deeper than `max_depth` (a scalar has depth
// 0, [] and [1] depth 1). Iterative: safe on any depth.
bool depth_exceeds(const json& value, std::size_t max_depth);

// The "tasks" array of node.run or node.cancel params, or nullptr when the params
// have none.
json* task_list(json& params);
// Reads one entry of node.run's array, moving its strings and params out of `entry`.
// nullopt when the entry lacks a string id, a string function or an int attempt, or
// has a timeout_ms that is not an integer from 1 to 86,400,000.
std::optional<IncomingTask> read_task(json& entry);
// Reads one entry of node.cancel's array; nullopt when it lacks a string id or an
// int attempt.
std::optional<LeaseToken> read_lease_token(const json& entry);

}  // namespace zerotask::node_impl

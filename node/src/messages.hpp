// The node's side of the wire protocol (docs/PROTOCOL.md, section 5) as value types
// and pure functions: the messages a node sends, encoded to the text of one frame,
// and the task entries of a node.run read out of their JSON.
//
// No sockets here; every function is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zerotask/json_rpc.hpp"

namespace zerotask::node_impl {

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
};

// The params of one node.progress.
struct ProgressReport {
  std::string id;
  int attempt = 0;
  json progress;
};

// One entry of node.run's "tasks".
struct IncomingTask {
  std::string id;
  std::string function;
  int attempt = 0;
  json params;
};

std::string encode_hello(std::int64_t request_id, std::string_view node, const std::vector<std::string>& functions,
                         unsigned slots);
std::string encode_heartbeat(std::int64_t request_id);
std::string encode_pull(unsigned slots);
std::string encode_bye();
std::string encode_progress(const ProgressReport& report);
// One node.done carrying every result given, in order. Written straight to text:
// this runs once per batch of results on the hot path.
std::string encode_done(std::span<const TaskResult> results);

// The "tasks" array of node.run params, or nullptr when the params have none.
json* run_tasks(json& params);
// Reads one entry of that array, moving its strings and params out of `entry`.
// nullopt when the entry lacks a string id, a string function or an int attempt.
std::optional<IncomingTask> read_task(json& entry);

}  // namespace zerotask::node_impl

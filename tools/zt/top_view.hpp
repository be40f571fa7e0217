// What `zt top` shows, built from the broker's answers alone (broker.stats,
// broker.nodes, broker.functions and task.list; docs/PROTOCOL.md), so that it works
// with any broker of this tree. Pure functions over JSON; safe on any thread.
//
// The snapshot is one JSON object, printed as it is by `zt top --json` and drawn
// by format_top():
//   {"broker": {"endpoint", "epoch", "version", "uptime_ms", "store", "store_ok"},
//    "tasks": {"PENDING": n, ... as broker.stats counts them},
//    "throughput": {"interval_ms", "submitted_per_s", "completed_per_s"} or null,
//    "queues": [{"queue", "depth", "running", "oldest_age_ms", "functions": {"add": 2}}],
//    "queues_complete": true,
//    "functions": [broker.functions entries: {"name", "nodes", "queued", "running"}],
//    "nodes": [{"name", "functions", "queues", "running_functions": {"add": 1},
//               "slots", "running", "free", "idle_ms"}]}
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "table.hpp"
#include "zerotask/json_rpc.hpp"

namespace zerotask::zt {

// The most tasks one task.list answer holds: `zt top` reads one page of QUEUED and
// one of RUNNING tasks per refresh.
inline constexpr int kTopTaskPage = 1000;

// The broker's answers one refresh of `zt top` reads.
struct TopAnswers {
  json stats;             // broker.stats
  json nodes;             // broker.nodes
  json functions;         // broker.functions
  json queued;            // task.list {"state": "QUEUED", "limit": kTopTaskPage}
  json running;           // task.list {"state": "RUNNING", "limit": kTopTaskPage}
  std::int64_t now_ms{};  // zt's clock (ms since the Unix epoch) when they were read
};

// Tasks submitted and completed per second between two broker.stats answers read
// `interval` apart. Completed means left PENDING, QUEUED and RUNNING: submitted in
// the interval minus the growth of those three counts, so that results the broker
// forgets (--keep-finished-ms, result_ttl_ms) do not hide completions. null when
// the two answers are from different broker starts (their epochs differ), when a
// count is missing or when `interval` is not positive.
json throughput(const json& before, const json& after, std::chrono::milliseconds interval);

// The snapshot (see above) of one refresh, with `rates` from throughput(). Queues
// are counted from the QUEUED and RUNNING pages: "queues_complete" is false when
// either holds fewer tasks than its total. A node's "queues" and
// "running_functions" are those of the tasks it runs (broker.nodes does not say
// which queues a node serves); "free" is its slots minus its running tasks, at
// least 0. "oldest_age_ms" is the age of the queue's oldest queued task by zt's
// clock (at least 0).
json top_snapshot(const TopAnswers& answers, json rates, const std::string& endpoint);

// The snapshot for people: the broker, task counts and rates as labelled lines,
// then tables of queues, functions and nodes, laid out for `terminal`.
std::string format_top(const json& snapshot, const Terminal& terminal = {});

}  // namespace zerotask::zt

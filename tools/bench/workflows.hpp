// The workflow figure's runs: chains, groups and chords, each sent as the client
// library's chain(), group() and chord() send them (one task.submit_many per
// chain, group or chord), and beside each the same number of tasks without
// dependencies. Each run is timed from its first request until every task has
// ended, and every task's result is checked. See docs/BENCHMARKS.md, "Workflows".
// Used by one thread.
#pragma once

#include <chrono>
#include <cstddef>

#include "rpc_connection.hpp"

namespace zerotask::bench {

// Which tasks a run sends, one unit at a time.
enum class WorkflowRun {
  Chains,       // a chain of 3: add, then multiply, then add, each with the previous result prepended
  ChainsPlain,  // the same 3 tasks in one task.submit_many, without dependencies
  Groups,       // a group: `group_size` independent adds in one task.submit_many
  GroupsPlain,  // the same adds as direct calls, one request each (the throughput figure's way)
  Chords,       // a chord: the group, then a sum of its results (pass_results "list")
  ChordsPlain,  // the same tasks in one task.submit_many, the sum's params given
};

// What the figure measured: the total time of each run over all rounds. A count
// of 0 means that part was not measured.
struct Workflows {
  std::size_t chains = 0;      // chains (and as many plain units of 3 tasks)
  std::size_t groups = 0;      // groups, and as many chords
  std::size_t group_size = 0;  // tasks in a group, and in a chord's header
  double chains_seconds = 0;
  double chains_plain_seconds = 0;
  double groups_seconds = 0;
  double groups_plain_seconds = 0;
  double chords_seconds = 0;
  double chords_plain_seconds = 0;
};

// Tasks in one unit of `run`.
std::size_t workflow_unit_tasks(WorkflowRun run, std::size_t group_size);

// Sends `units` units of `run`, with at most `window` tasks not yet ended (whole
// units, at least one), and follows every task until it has ended: the batches'
// with task.wait, the direct calls by their answers. Throws std::runtime_error
// when a task fails, is cancelled, or has another result than it should (chains
// end with 35, a group's adds with k + 1, a chord's sum with n (n + 1) / 2).
// Returns the time from the first request to the last task's end.
std::chrono::nanoseconds run_workflow(RpcConnection& connection, WorkflowRun run, std::size_t units,
                                      std::size_t group_size, std::size_t window);

// Throws std::runtime_error unless the broker lists a node for each function the
// workflows call (add, multiply, sum).
void require_workflow_functions(RpcConnection& connection);

}  // namespace zerotask::bench

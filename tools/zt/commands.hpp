// The zt subcommands. Each one connects a Client to the broker, does its one job,
// prints to `out` and returns an exit code (exit_codes.hpp). Failures are thrown
// (zerotask::Error, UsageError) and run_guarded() turns them into "zt: <message>"
// and the matching exit code.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "table.hpp"

namespace zerotask::zt {

struct GlobalOptions {
  std::string broker = "tcp://127.0.0.1:5555";
  std::string events;           // empty: the broker's port + 1
  bool json = false;            // print raw JSON instead of text
  std::int64_t timeout_ms = 0;  // 0: none given (a call then uses the client's default deadline)
  // CURVE (docs/SECURITY.md): files of zt's key pair and of the broker's public key;
  // empty: ZEROTASK_SECRET_KEY and ZEROTASK_BROKER_KEY, if set.
  std::string curve_key_file;
  std::string broker_key_file;
  Terminal terminal;  // where the output goes (main: stdout); the default: a pipe
};

// `zt chain`, `zt group` and `zt chord`.
struct WorkflowArguments {
  std::vector<std::string> steps;  // each "function arg arg..."
  std::string then;                // the chord's body
  bool no_wait = false;            // print the ids instead of waiting for the result
};

// `zt list`.
struct ListArguments {
  std::string state;
  std::string function;
  int limit = 0;  // 0: the broker's default
  int offset = 0;
};

// `zt top`.
struct TopArguments {
  std::int64_t interval_ms = 1000;  // --interval-ms: between refreshes
};

int run_call(const GlobalOptions& global, const TaskArguments& task, std::ostream& out);
int run_submit(const GlobalOptions& global, const TaskArguments& task, std::ostream& out);
// Workflows: one task.submit_many each. They print the result of the chain's last
// step, the array of the group's results, the result of the chord's body; with
// --no-wait the id of that last step or body, or the ids of the group's tasks.
int run_chain(const GlobalOptions& global, const WorkflowArguments& workflow, std::ostream& out);
int run_group(const GlobalOptions& global, const WorkflowArguments& workflow, std::ostream& out);
int run_chord(const GlobalOptions& global, const WorkflowArguments& workflow, std::ostream& out);
int run_status(const GlobalOptions& global, const std::string& id, std::ostream& out);
int run_wait(const GlobalOptions& global, const std::string& id, std::ostream& out);
// Subscribes to the task's events first, then reads its state; prints each change
// (a progress bar for {"done", "total"} progress) and each partial result until the
// task is final, reading the state again every second in case events were missed.
int run_watch(const GlobalOptions& global, const std::string& id, std::ostream& out);
// cancel and retry: one task.* request that changes a task; prints the task (a
// RUNNING one whose cancel was requested says so).
int run_task_change(const GlobalOptions& global, const char* method, const std::string& id, std::ostream& out);
int run_stats(const GlobalOptions& global, std::ostream& out);
int run_nodes(const GlobalOptions& global, std::ostream& out);
int run_functions(const GlobalOptions& global, std::ostream& out);
int run_list(const GlobalOptions& global, const ListArguments& list, std::ostream& out);
int run_ping(const GlobalOptions& global, std::ostream& out);
// The live view of queues, functions, nodes and throughput (top_view.hpp), redrawn
// every --interval-ms on a terminal until q, Ctrl-C or SIGTERM. With --json, or
// when global.terminal is not a terminal, prints one snapshot instead, its
// throughput measured over one interval, and returns.
int run_top(const GlobalOptions& global, const TopArguments& top, std::ostream& out);

// Schedules (schedule.*): add prints the schedule (its next run in ISO-8601 UTC),
// list a line per schedule, remove the schedule removed. An unknown name is refused
// (not_found: "no schedule <name>").
int run_schedule_add(const GlobalOptions& global, const ScheduleArguments& schedule, const TaskArguments& task,
                     std::ostream& out);
int run_schedule_list(const GlobalOptions& global, std::ostream& out);
int run_schedule_remove(const GlobalOptions& global, const std::string& name, std::ostream& out);
// A function's rate and concurrency limits (limits.*); remove of a function without
// limits is refused ("no limits on <function>").
int run_limits_set(const GlobalOptions& global, const LimitsArguments& limits, std::ostream& out);
int run_limits_list(const GlobalOptions& global, std::ostream& out);
int run_limits_remove(const GlobalOptions& global, const std::string& function, std::ostream& out);
// event.emit: prints the ids of the tasks the broker's rules made, one a line
// (nothing when no rule matched).
int run_emit(const GlobalOptions& global, const EmitArguments& emit, std::ostream& out);

// `zt keygen`: a CURVE key pair in DIR/NAME.key (both keys, readable by its owner
// only) and DIR/NAME.pub (the public key).
struct KeygenArguments {
  std::string name;
  std::string dir = ".";
};
int run_keygen(const GlobalOptions& global, const KeygenArguments& keygen, std::ostream& out);

// Runs `command`; what it throws becomes "zt: <message>" on `err` and an exit code.
int run_guarded(const std::function<int()>& command, std::ostream& err);

}  // namespace zerotask::zt

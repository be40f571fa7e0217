// The zt subcommands. Each one connects a Client to the broker, does its one job,
// prints to `out` and returns an exit code (exit_codes.hpp). Failures are thrown
// (zerotask::Error, UsageError) and run_guarded() turns them into "zt: <message>"
// and the matching exit code.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

namespace zerotask::zt {

struct GlobalOptions {
  std::string broker = "tcp://127.0.0.1:5555";
  std::string events;           // empty: the broker's port + 1
  bool json = false;            // print raw JSON instead of text
  std::int64_t timeout_ms = 0;  // 0: none given (a call then uses the client's default deadline)
};

// `zt call` and `zt submit`.
struct TaskArguments {
  std::string function;
  std::vector<std::string> args;
  std::string params;  // --params; empty when not given
  bool require_node = false;
  std::optional<int> max_retries;
  std::optional<long> task_timeout_ms;
  std::string idempotency_key;  // --key; empty: one the client makes
};

// `zt list`.
struct ListArguments {
  std::string state;
  std::string function;
  int limit = 0;  // 0: the broker's default
  int offset = 0;
};

int run_call(const GlobalOptions& global, const TaskArguments& task, std::ostream& out);
int run_submit(const GlobalOptions& global, const TaskArguments& task, std::ostream& out);
int run_status(const GlobalOptions& global, const std::string& id, std::ostream& out);
int run_wait(const GlobalOptions& global, const std::string& id, std::ostream& out);
// Subscribes to the task's events first, then reads its state; prints each change
// until the task is final, reading the state again every second in case events
// were missed.
int run_watch(const GlobalOptions& global, const std::string& id, std::ostream& out);
// cancel and retry: one task.* request that changes a task; prints the task.
int run_task_change(const GlobalOptions& global, const char* method, const std::string& id, std::ostream& out);
int run_stats(const GlobalOptions& global, std::ostream& out);
int run_nodes(const GlobalOptions& global, std::ostream& out);
int run_functions(const GlobalOptions& global, std::ostream& out);
int run_list(const GlobalOptions& global, const ListArguments& list, std::ostream& out);
int run_ping(const GlobalOptions& global, std::ostream& out);

// Runs `command`; what it throws becomes "zt: <message>" on `err` and an exit code.
int run_guarded(const std::function<int()>& command, std::ostream& err);

}  // namespace zerotask::zt

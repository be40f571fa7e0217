// zt-bench's command line: what to measure, against what, and how to print it.
// Plain values, filled by CLI11 in options.cpp; no I/O here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <sys/types.h>

namespace CLI {
class App;
}

namespace zerotask::bench {

struct BenchOptions {
  std::size_t tasks = 100000;         // pipelined and fire-and-forget tasks
  std::size_t calls = 2000;           // sequential blocking calls
  std::size_t queued = 1000000;       // tasks queued for the memory figure
  std::size_t window = 1000;          // requests in flight in the pipelined runs
  std::size_t settle_ms = 100;        // quiet before each system's part of a round
  std::size_t durable_tasks = 20000;  // throughput run on the durable stores (at most `tasks`)
  std::size_t recover = 1000000;      // tasks a restarted durable broker recovers; 0: not measured
  bool skip_durable = false;          // no durable-store figures (throughput, p50, recovery)
  std::size_t chains = 10000;         // chains of 3 in the workflow figure; 0: not measured
  std::size_t groups = 1000;          // groups, and as many chords, in the workflow figure; 0: not measured
  std::size_t group_size = 100;       // tasks in a group and in a chord's header
  bool skip_workflow = false;         // no workflow figure
  std::string store_dir;              // where the durable stores' scratch directory goes; empty: "."
  std::string broker;                 // empty: start a broker and a node ourselves
  std::string events;                 // with `broker`: its event endpoint (empty: port + 1)
  std::optional<pid_t> broker_pid;    // with `broker`: measure its memory
  std::string bin_dir;                // where broker and node are; empty: beside zt-bench
  bool json = false;
  bool skip_reference = false;
  bool pin = false;  // the processes zt-bench starts on one CPU, zt-bench on another

  // Hidden modes: zt-bench spawns itself as the reference's broker and worker.
  std::string serve_reference_broker;  // endpoint to bind
  std::string serve_reference_worker;  // endpoint to connect to
  std::size_t reference_window = 0;    // with serve_reference_broker: requests at its worker at a time; 0: no limit
};

// Declares every option on `app`, writing into `options`; checks that need more
// than one option (--broker-pid needs --broker, ...) are declared too.
void add_options(CLI::App& app, BenchOptions& options);

}  // namespace zerotask::bench

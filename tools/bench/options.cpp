#include "options.hpp"

#include <CLI/CLI.hpp>

#include "zerotask/version.hpp"

namespace zerotask::bench {

void add_options(CLI::App& app, BenchOptions& options) {
  app.description(
      "Measures a zerotask broker and node against a reference broker with the same hops that only parses and "
      "re-serializes JSON-RPC (see docs/BENCHMARKS.md). By default starts its own broker (memory store) and a node "
      "with 2 worker threads on free loopback ports, and the same with the durable SQLite store (--sync full and "
      "--sync normal) in a scratch directory it removes afterwards, then another broker and node for the workflow "
      "figure (chains, groups, chords); it always stops them before it exits.\n"
      "Exit status: 0 when every measurement ran (whether or not the targets were met), 1 on an error, 2 on a usage "
      "error.");
  app.set_version_flag("--version", std::string(version()));

  app.add_option("--tasks", options.tasks, "No-op tasks in the throughput and fire-and-forget runs")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--calls", options.calls, "Sequential blocking calls timed for p50/p99 (after 100 warm-up calls)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--queued", options.queued, "Tasks queued on a broker with no node for the memory figure")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--window", options.window, "Requests in flight in the pipelined runs (ours and the reference's)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  app.add_option("--settle-ms", options.settle_ms,
                 "Milliseconds of quiet before each system's part of a round, so that what one system left on the "
                 "CPUs does not shape the next one's figures (0: none)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{10'000}))
      ->capture_default_str();
  app.add_option("--durable-tasks", options.durable_tasks,
                 "No-op tasks in the throughput run on the durable stores (at most --tasks; an fsync per commit makes "
                 "--sync full far slower)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--recover", options.recover,
                 "Tasks stored before a durable broker is restarted for the recovery figure (0: not measured)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--store-dir", options.store_dir,
                 "Directory in which the durable stores' scratch directory is made (default: the current one; "
                 "not a tmpfs, where fsync costs nothing)")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--skip-durable", options.skip_durable,
               "Do not measure the durable store (throughput and call p50 with --sync full and normal, recovery)");
  app.add_option("--chains", options.chains,
                 "Chains of 3 dependent tasks in the workflow figure, beside as many batches of the same 3 tasks "
                 "without dependencies (0: not measured). JSON: workflow_chains_s, workflow_chain_plain_s, "
                 "workflow_chain_ratio")
      ->check(CLI::Range(std::size_t{0}, std::size_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--groups", options.groups,
                 "Groups in the workflow figure, and as many chords (a group, then a sum of its results), each beside "
                 "the same number of plain tasks (0: not measured). JSON: workflow_groups_s, workflow_group_plain_s, "
                 "workflow_group_ratio, workflow_chords_s, workflow_chord_plain_s, workflow_chord_ratio")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--group-size", options.group_size, "Tasks in each group and in each chord's header")
      ->check(CLI::Range(std::size_t{1}, std::size_t{9999}))
      ->capture_default_str();
  app.add_flag("--skip-workflow", options.skip_workflow,
               "Do not measure the workflow figure (chains, groups and chords against plain tasks)");
  auto* broker =
      app.add_option("--broker", options.broker,
                     "Request endpoint of a running broker with a node serving noop (and add, multiply and sum for "
                     "the workflow figure); nothing is started");
  app.add_option("--events", options.events,
                 "With --broker: its event endpoint, given to the client library (default: the request port + 1)")
      ->needs(broker);
  app.add_option("--broker-pid", options.broker_pid,
                 "With --broker: the broker's process id, to measure its memory (without it the memory figure is "
                 "skipped); zt-bench queues --queued tasks of a function no node serves there and cancels them")
      ->needs(broker);
  app.add_option("--bin-dir", options.bin_dir,
                 "Directory holding the broker and node executables (default: zt-bench's own)");
  app.add_flag("--json", options.json, "Print one JSON object instead of the table");
  app.add_flag("--skip-reference", options.skip_reference, "Do not measure the reference (ratios are then absent)");
  app.add_flag("--pin", options.pin,
               "Run every process zt-bench starts (brokers, nodes, the reference's broker and worker) on the first "
               "CPU zt-bench may use and zt-bench itself on the second, so that figures do not depend on where the "
               "kernel places threads; needs two CPUs")
      ->excludes(broker);

  app.add_option("--serve-reference-broker", options.serve_reference_broker)->group("");
  app.add_option("--serve-reference-worker", options.serve_reference_worker)->group("");
  app.add_option("--reference-window", options.reference_window)->group("");
}

}  // namespace zerotask::bench

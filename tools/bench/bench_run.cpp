#include "bench_run.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>

#include <zmq.hpp>

#include "client_latency.hpp"
#include "cpu_placement.hpp"
#include "deployment.hpp"
#include "durations.hpp"
#include "latency.hpp"
#include "recovery.hpp"
#include "scratch_directory.hpp"
#include "targets.hpp"
#include "workflows.hpp"

namespace zerotask::bench {
namespace {

// Every timed run is split into rounds that alternate between the reference and
// ours, so that both see the same machine conditions even when those drift. Load
// rounds stay long enough for a steady state; latency rounds are short so that
// even brief disturbances hit both alike.
constexpr std::size_t kLoadRounds = 5;
constexpr std::size_t kLatencyRounds = 20;
constexpr std::size_t kWarmupCalls = 100;       // sequential, before anything is timed
constexpr std::size_t kWarmupPipelined = 1000;  // pipelined (at least one window), before anything is timed
// Untimed units of each workflow run before the workflow figure's rounds.
constexpr std::size_t kWarmupChains = 300;
constexpr std::size_t kWarmupGroups = 3;

// Progress, with each figure as soon as it is measured, goes to stderr so that a
// run that fails later still shows what it measured.
void progress(const std::string& step) {
  std::cerr << "zt-bench: " << step << std::endl;
}

std::string rate(double per_second) {
  return std::to_string(std::llround(per_second)) + " tasks/s";
}

std::string percentiles(const LatencySummary& latency) {
  char text[64];
  std::snprintf(text, sizeof text, "p50 %.1f us, p99 %.1f us", latency.p50_us, latency.p99_us);
  return text;
}

// Round `round`'s share of `total` split over `rounds`.
std::size_t share(std::size_t total, std::size_t round, std::size_t rounds) {
  return total / rounds + (round < total % rounds ? 1 : 0);
}

// One participant's part of a round; the argument is the round's number.
using RoundStep = std::function<void(std::size_t round)>;

// Runs every step in every round; every other round in reverse order, so that no
// participant always goes first. Each step starts after `settle` of quiet: what the
// step before it left on the CPUs (the kernel's load figures of each CPU, which
// steer where it wakes threads and decay over tens of milliseconds) would
// otherwise shape where this step's threads run.
void in_rounds(const std::vector<RoundStep>& steps, std::size_t rounds, std::chrono::milliseconds settle) {
  auto run = [settle](const RoundStep& step, std::size_t round) {
    std::this_thread::sleep_for(settle);
    step(round);
  };
  for (std::size_t round = 0; round < rounds; ++round) {
    if (round % 2 == 0) {
      for (auto it = steps.begin(); it != steps.end(); ++it) run(*it, round);
    } else {
      for (auto it = steps.rbegin(); it != steps.rend(); ++it) run(*it, round);
    }
  }
}

// `window`: requests its broker lets be at its worker at a time (0: no limit).
std::unique_ptr<Target> start_reference(zmq::context_t& context, const std::string& name, std::size_t window) {
  progress(name + ": starting its broker and worker");
  Deployment deployment = Deployment::start_reference(window);
  RpcConnection connection(context, deployment.endpoint());
  deployment.wait_reference_ready(connection);
  return std::make_unique<ReferenceTarget>(name, std::move(deployment), std::move(connection));
}

std::unique_ptr<Target> start_zerotask(zmq::context_t& context, const BenchOptions& options,
                                       const std::string& bin_dir) {
  bool external = !options.broker.empty();
  progress(external ? "zerotask: using the broker at " + options.broker : "zerotask: starting a broker and a node");
  Deployment deployment =
      external ? Deployment(options.broker, options.events) : Deployment::start_zerotask(bin_dir, true);
  RpcConnection connection(context, deployment.endpoint());
  deployment.wait_zerotask_ready(connection, true);
  return std::make_unique<ZerotaskTarget>("zerotask", std::move(deployment), std::move(connection));
}

// Our broker on a new SQLite store at `store_path`, with its own node.
std::unique_ptr<Target> start_durable(zmq::context_t& context, const std::string& bin_dir,
                                      const std::string& store_path, const std::string& sync) {
  std::string name = "zerotask --sync " + sync;
  progress(name + ": starting a broker (SQLite store) and a node");
  BrokerSetup setup;
  setup.store = store_path;
  setup.sync = sync;
  Deployment deployment = Deployment::start_zerotask(bin_dir, true, setup);
  RpcConnection connection(context, deployment.endpoint());
  deployment.wait_zerotask_ready(connection, true);
  return std::make_unique<ZerotaskTarget>(name, std::move(deployment), std::move(connection));
}

// What measure_load measures: `reference` is null with --skip-reference, the
// durable ones are null when the durable store is not measured.
struct LoadTargets {
  Target* reference = nullptr;            // as many requests at its worker as our nodes have slots
  Target* pipelined_reference = nullptr;  // every request at its worker at once: throughput only
  Target* zerotask = nullptr;             // the memory store
  Target* full = nullptr;                 // the SQLite store with --sync full
  Target* normal = nullptr;               // and with --sync normal
};

// Throughput and sequential calls on every target, fire-and-forget on the
// reference and the memory store, each in rounds.
void measure_load(const LoadTargets& load, const BenchOptions& options, Figures& figures) {
  std::vector<Target*> targets;
  for (Target* target : {load.reference, load.zerotask, load.full, load.normal}) {
    if (target) targets.push_back(target);
  }
  std::vector<Target*> fire_targets;
  for (Target* target : {load.reference, load.zerotask}) {
    if (target) fire_targets.push_back(target);
  }
  Target& zerotask = *load.zerotask;
  ClientLatency client(zerotask.deployment().endpoint(), zerotask.deployment().event_endpoint());

  progress("warming up");
  std::size_t warm_up_pipelined = std::min(options.tasks, std::max(options.window, kWarmupPipelined));
  for (Target* target : targets) target->warm_up(warm_up_pipelined, options.window, kWarmupCalls);
  if (load.pipelined_reference) load.pipelined_reference->warm_up(warm_up_pipelined, options.window, 0);
  client.warm_up(kWarmupCalls);

  std::vector<RoundStep> pipelined;
  std::vector<RoundStep> fire_and_forget;
  std::vector<RoundStep> sequential;
  std::size_t durable_tasks = std::min(options.tasks, options.durable_tasks);
  auto add_pipelined = [&pipelined, &options](Target* target, std::size_t tasks) {
    pipelined.push_back([&options, target, tasks](std::size_t round) {
      target->pipelined_round(share(tasks, round, kLoadRounds), options.window);
    });
  };
  for (Target* target : targets) {
    add_pipelined(target, target == load.full || target == load.normal ? durable_tasks : options.tasks);
    sequential.push_back([&options, target](std::size_t round) {
      target->sequential_round(share(options.calls, round, kLatencyRounds));
    });
  }
  if (load.pipelined_reference) add_pipelined(load.pipelined_reference, options.tasks);
  for (Target* target : fire_targets) {
    fire_and_forget.push_back([&options, target](std::size_t round) {
      target->fire_and_forget_round(share(options.tasks, round, kLoadRounds));
    });
  }
  sequential.push_back(
      [&options, &client](std::size_t round) { client.round(share(options.calls, round, kLatencyRounds)); });

  progress("throughput: " + std::to_string(options.tasks) + " pipelined calls each" +
           (load.full ? " (" + std::to_string(durable_tasks) + " on the durable stores)" : ""));
  in_rounds(pipelined, kLoadRounds, std::chrono::milliseconds(options.settle_ms));
  for (Target* target : targets) progress(target->name() + ": " + rate(target->throughput_tps()));
  if (load.pipelined_reference) {
    progress(load.pipelined_reference->name() + ": " + rate(load.pipelined_reference->throughput_tps()));
  }

  progress("fire-and-forget: " + std::to_string(options.tasks) + " notifications each");
  in_rounds(fire_and_forget, kLoadRounds, std::chrono::milliseconds(options.settle_ms));
  for (Target* target : fire_targets) progress(target->name() + ": " + rate(target->fire_and_forget_tps()));

  progress("latency: " + std::to_string(options.calls) + " sequential calls each");
  in_rounds(sequential, kLatencyRounds, std::chrono::milliseconds(options.settle_ms));
  for (Target* target : targets) progress(target->name() + ": " + percentiles(summarize(target->round_trips())));

  figures.throughput_tps = zerotask.throughput_tps();
  figures.fire_and_forget_tps = zerotask.fire_and_forget_tps();
  auto latency = summarize(zerotask.round_trips());
  figures.call_p50_us = latency.p50_us;
  figures.call_p99_us = latency.p99_us;
  auto client_latency = summarize(client.round_trips());
  figures.client_call_p50_us = client_latency.p50_us;
  progress("zerotask through the client library: " + percentiles(client_latency));
  if (load.full && load.normal) {
    figures.throughput_full_tps = load.full->throughput_tps();
    figures.throughput_normal_tps = load.normal->throughput_tps();
    figures.call_p50_full_us = summarize(load.full->round_trips()).p50_us;
    figures.call_p50_normal_us = summarize(load.normal->round_trips()).p50_us;
  }
  if (Target* reference = load.reference) {
    figures.ref_throughput_tps = reference->throughput_tps();
    figures.ref_fire_and_forget_tps = reference->fire_and_forget_tps();
    auto ref_latency = summarize(reference->round_trips());
    figures.ref_p50_us = ref_latency.p50_us;
    figures.ref_p99_us = ref_latency.p99_us;
  }
  if (load.pipelined_reference) figures.ref_pipelined_throughput_tps = load.pipelined_reference->throughput_tps();
}

// Chains, groups and chords beside as many plain tasks, all six runs in the same
// rounds, on a broker and node of their own (or the broker of --broker).
void measure_workflows(zmq::context_t& context, const BenchOptions& options, const std::string& bin_dir,
                       Figures& figures) {
  std::optional<Deployment> deployment;
  if (options.broker.empty()) {
    progress("workflows: starting a broker and a node");
    deployment.emplace(Deployment::start_zerotask(bin_dir, true));
  }
  RpcConnection connection(context, deployment ? deployment->endpoint() : options.broker);
  if (deployment) deployment->wait_zerotask_ready(connection, true);
  require_workflow_functions(connection);

  Workflows workflows;
  workflows.chains = options.chains;
  workflows.groups = options.groups;
  workflows.group_size = options.group_size;
  struct Part {
    WorkflowRun run;
    std::size_t units;
    std::size_t warm_up;
    double* seconds;
  };
  std::vector<Part> parts;
  if (options.chains > 0) {
    std::size_t warm_up = std::min(options.chains, kWarmupChains);
    parts.push_back({WorkflowRun::Chains, options.chains, warm_up, &workflows.chains_seconds});
    parts.push_back({WorkflowRun::ChainsPlain, options.chains, warm_up, &workflows.chains_plain_seconds});
  }
  if (options.groups > 0) {
    std::size_t warm_up = std::min(options.groups, kWarmupGroups);
    parts.push_back({WorkflowRun::Groups, options.groups, warm_up, &workflows.groups_seconds});
    parts.push_back({WorkflowRun::GroupsPlain, options.groups, warm_up, &workflows.groups_plain_seconds});
    parts.push_back({WorkflowRun::Chords, options.groups, warm_up, &workflows.chords_seconds});
    parts.push_back({WorkflowRun::ChordsPlain, options.groups, warm_up, &workflows.chords_plain_seconds});
  }

  progress("workflows: warming up");
  for (const Part& part : parts) {
    run_workflow(connection, part.run, part.warm_up, options.group_size, options.window);
  }
  std::vector<RoundStep> steps;
  for (const Part& part : parts) {
    steps.push_back([&, part](std::size_t round) {
      auto elapsed =
          run_workflow(connection, part.run, share(part.units, round, kLoadRounds), options.group_size, options.window);
      *part.seconds += seconds(elapsed);
      if (deployment) deployment->require_running();
    });
  }
  progress("workflows: " + std::to_string(options.chains) + " chains of 3, " + std::to_string(options.groups) +
           " groups of " + std::to_string(options.group_size) + " and as many chords, each beside as many plain tasks");
  in_rounds(steps, kLoadRounds, std::chrono::milliseconds(options.settle_ms));
  char text[160];
  if (options.chains > 0) {
    std::snprintf(text, sizeof text, "workflows: chains %.2f s, plain %.2f s", workflows.chains_seconds,
                  workflows.chains_plain_seconds);
    progress(text);
  }
  if (options.groups > 0) {
    std::snprintf(text, sizeof text, "workflows: groups %.2f s, plain %.2f s; chords %.2f s, plain %.2f s",
                  workflows.groups_seconds, workflows.groups_plain_seconds, workflows.chords_seconds,
                  workflows.chords_plain_seconds);
    progress(text);
  }
  figures.workflows = workflows;
}

void measure_memory(zmq::context_t& context, const BenchOptions& options, const std::string& bin_dir,
                    Figures& figures) {
  progress("memory: queueing " + std::to_string(options.queued) + " tasks");
  if (options.broker.empty()) {
    BrokerSetup setup;
    setup.max_queued = options.queued;  // the broker's default limit may be lower than --queued
    Deployment broker = Deployment::start_zerotask(bin_dir, false, setup);
    RpcConnection connection(context, broker.endpoint());
    broker.wait_zerotask_ready(connection, false);
    figures.memory = measure_queue_memory(connection, *broker.broker_pid(), options.queued, false);
    broker.require_running();
  } else {
    RpcConnection connection(context, options.broker);
    figures.memory = measure_queue_memory(connection, *options.broker_pid, options.queued, true);
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.1f bytes per queued task beyond its payload",
                figures.memory->bytes_per_task_beyond_payload());
  progress(std::string("memory: ") + text);
  if (!figures.memory->peak_reset) {
    figures.notes.push_back(
        "the broker's peak memory could not be reset (/proc/PID/clear_refs): the memory figure is too high if the "
        "broker held more memory before this run");
  }
}

void measure_restart(zmq::context_t& context, const BenchOptions& options, const std::string& bin_dir,
                     const ScratchDirectory& scratch, Figures& figures) {
  progress("recovery: storing " + std::to_string(options.recover) + " tasks, then restarting the broker");
  figures.recovery = measure_recovery(context, bin_dir, scratch.file("recover.db"), options.recover);
  char text[160];
  std::snprintf(text, sizeof text,
                "recovery: %.2f s until the restarted broker answered (stored in %.1f s, stopped in %.2f s)",
                figures.recovery->recover_seconds, figures.recovery->fill_seconds, figures.recovery->stop_seconds);
  progress(text);
}

}  // namespace

Figures run_bench(const BenchOptions& options) {
  Figures figures;
  figures.nproc = std::thread::hardware_concurrency();
  figures.tasks = options.tasks;
  figures.calls = options.calls;
  figures.queued = options.queued;
  figures.window = options.window;
  figures.settle_ms = options.settle_ms;
  bool durable = options.broker.empty() && !options.skip_durable;
  if (!options.broker.empty()) {
    figures.system = "the broker at " + options.broker;
  } else if (durable) {
    figures.system =
        "brokers with the memory store and the SQLite store (--sync full, --sync normal), each with a node (2 worker "
        "threads), started by zt-bench";
  } else {
    figures.system = "broker (memory store) and node (2 worker threads) started by zt-bench";
  }
  std::string bin_dir = options.bin_dir.empty() ? own_directory() : options.bin_dir;
  if (options.pin) {
    // Before any thread of zt-bench's own starts, so that each one inherits its CPU.
    figures.pinned = pick_cpu_placement();
    pin_calling_thread(figures.pinned->client);
    ChildProcess::run_later_children_on(figures.pinned->servers);
  }

  // The durable stores' files; declared first so that it goes after every broker
  // that uses them has stopped.
  std::optional<ScratchDirectory> scratch;
  if (durable) {
    std::string parent = options.store_dir.empty() ? "." : options.store_dir;
    FilesystemType filesystem = filesystem_type(parent);
    figures.store_directory = std::filesystem::canonical(parent).string();
    figures.store_filesystem = filesystem.name;
    figures.recover = options.recover;
    figures.durable_tasks = std::min(options.tasks, options.durable_tasks);
    if (filesystem.memory_backed) {
      figures.notes.push_back("the durable stores were on a " + filesystem.name +
                              ", where fsync costs nothing: the --sync full figures do not show a disk's cost "
                              "(use --store-dir)");
    }
    scratch.emplace(parent);
    progress("durable stores in " + scratch->path() + " (" + filesystem.name + ")");
    if (options.recover == 0) figures.notes.push_back("recovery not measured (--recover 0)");
  } else if (options.skip_durable) {
    figures.notes.push_back("durable store not measured (--skip-durable)");
  } else {
    figures.notes.push_back("durable store not measured: with --broker zt-bench starts no broker");
  }

  zmq::context_t context(1);
  {
    std::unique_ptr<Target> zerotask = start_zerotask(context, options, bin_dir);
    std::unique_ptr<Target> reference;
    std::unique_ptr<Target> pipelined_reference;
    if (options.skip_reference) {
      figures.notes.push_back("reference not measured (--skip-reference): no ratios");
    } else {
      // The same window of messages in flight at its worker as our node has slots.
      figures.reference_window = zerotask->deployment().node_slots();
      reference = start_reference(context, "reference", figures.reference_window);
      pipelined_reference = start_reference(context, "pipelined reference", 0);
    }
    std::unique_ptr<Target> full;
    std::unique_ptr<Target> normal;
    if (durable) {
      full = start_durable(context, bin_dir, scratch->file("full.db"), "full");
      normal = start_durable(context, bin_dir, scratch->file("normal.db"), "normal");
    }
    LoadTargets load;
    load.reference = reference.get();
    load.pipelined_reference = pipelined_reference.get();
    load.zerotask = zerotask.get();
    load.full = full.get();
    load.normal = normal.get();
    measure_load(load, options, figures);
  }  // all stop here: the workflow, memory and recovery figures get the machine to themselves

  if (options.skip_workflow) {
    figures.notes.push_back("workflows not measured (--skip-workflow)");
  } else if (options.chains == 0 && options.groups == 0) {
    figures.notes.push_back("workflows not measured (--chains 0 --groups 0)");
  } else {
    measure_workflows(context, options, bin_dir, figures);
  }
  if (options.broker.empty() || options.broker_pid) {
    measure_memory(context, options, bin_dir, figures);
  } else {
    figures.notes.push_back("memory per queued task not measured: with --broker it needs --broker-pid");
  }
  if (durable && options.recover > 0) measure_restart(context, options, bin_dir, *scratch, figures);
  return figures;
}

}  // namespace zerotask::bench

// The figures of one zt-bench run, with the conditions they were measured under,
// and the two ways of printing them: a table for people, one JSON object for
// scripts. A figure that was not measured is empty (null in the JSON).
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cpu_placement.hpp"
#include "queue_memory.hpp"
#include "recovery.hpp"
#include "workflows.hpp"
#include "zerotask/json_rpc.hpp"

namespace zerotask::bench {

// Targets from the design brief, as ratios to the reference or absolute.
inline constexpr double kThroughputRatioTarget = 0.7;      // at least
inline constexpr double kCallP50RatioTarget = 1.3;         // at most
inline constexpr double kBytesPerQueuedTaskTarget = 1024;  // at most
// Targets of the durable store, against the memory store's figures of the same run.
inline constexpr double kThroughputFullRatioTarget = 0.5;    // at least, with --sync full
inline constexpr double kThroughputNormalRatioTarget = 0.8;  // at least, with --sync normal
inline constexpr double kCallP50FullExtraTargetUs = 1000;    // at most, added to the memory store's p50
inline constexpr double kRecoverSecondsTarget = 10;          // under, to recover kRecoverTargetTasks
inline constexpr std::size_t kRecoverTargetTasks = 1000000;  // with another --recover the target is not judged
// Target of the workflow figure: each workflow's time over that of as many plain tasks.
inline constexpr double kWorkflowRatioTarget = 2.0;  // at most

struct Figures {
  // Conditions.
  unsigned nproc = 0;
  std::size_t tasks = 0;
  std::size_t calls = 0;
  std::size_t queued = 0;
  std::size_t window = 0;
  std::size_t reference_window = 0;  // requests the reference's broker lets be at its worker at a time
  std::size_t settle_ms = 0;         // quiet before each system's part of a round
  std::size_t durable_tasks = 0;     // throughput tasks on each durable store (0: not measured)
  std::size_t recover = 0;           // tasks stored for the recovery figure (0: not measured)
  std::string system;                // what was measured, in words
  std::string store_directory;       // where the durable stores were; empty when not measured
  std::string store_filesystem;      // its filesystem type ("ext4", ...)
  std::optional<CpuPlacement> pinned;  // with --pin: where the measured processes and zt-bench ran

  // Ours.
  std::optional<double> throughput_tps;
  std::optional<double> fire_and_forget_tps;
  std::optional<double> call_p50_us;
  std::optional<double> call_p99_us;
  std::optional<double> client_call_p50_us;
  std::optional<QueueMemory> memory;

  // Ours with the durable (SQLite) store, beside the memory store's above.
  std::optional<double> throughput_full_tps;
  std::optional<double> throughput_normal_tps;
  std::optional<double> call_p50_full_us;
  std::optional<double> call_p50_normal_us;
  std::optional<Recovery> recovery;

  // The workflow figure (a broker with the memory store and its node of its own).
  std::optional<Workflows> workflows;

  // The reference.
  std::optional<double> ref_throughput_tps;
  std::optional<double> ref_fire_and_forget_tps;
  std::optional<double> ref_p50_us;
  std::optional<double> ref_p99_us;
  // The reference without a window: every request at its worker at once.
  std::optional<double> ref_pipelined_throughput_tps;

  std::vector<std::string> notes;  // what was skipped, and why
};

void print_table(std::ostream& out, const Figures& figures);
json to_json(const Figures& figures);

}  // namespace zerotask::bench

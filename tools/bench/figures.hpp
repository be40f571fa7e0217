// The figures of one zt-bench run, with the conditions they were measured under,
// and the two ways of printing them: a table for people, one JSON object for
// scripts. A figure that was not measured is empty (null in the JSON).
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "queue_memory.hpp"
#include "zerotask/json_rpc.hpp"

namespace zerotask::bench {

// Targets from DESIGN.md section 6, as ratios to the reference or absolute.
inline constexpr double kThroughputRatioTarget = 0.7;      // at least
inline constexpr double kCallP50RatioTarget = 1.3;         // at most
inline constexpr double kBytesPerQueuedTaskTarget = 1024;  // at most

struct Figures {
  // Conditions.
  unsigned nproc = 0;
  std::size_t tasks = 0;
  std::size_t calls = 0;
  std::size_t queued = 0;
  std::size_t window = 0;
  std::string system;  // what was measured, in words

  // Ours.
  std::optional<double> throughput_tps;
  std::optional<double> fire_and_forget_tps;
  std::optional<double> call_p50_us;
  std::optional<double> call_p99_us;
  std::optional<double> client_call_p50_us;
  std::optional<QueueMemory> memory;

  // The reference.
  std::optional<double> ref_throughput_tps;
  std::optional<double> ref_fire_and_forget_tps;
  std::optional<double> ref_p50_us;
  std::optional<double> ref_p99_us;

  std::vector<std::string> notes;  // what was skipped, and why
};

void print_table(std::ostream& out, const Figures& figures);
json to_json(const Figures& figures);

}  // namespace zerotask::bench

// Percentiles of measured round trips.
#pragma once

#include <chrono>
#include <vector>

namespace zerotask::bench {

struct LatencySummary {
  double p50_us = 0;
  double p99_us = 0;
};

// Nearest-rank percentiles of `round_trips` (not empty), in microseconds.
LatencySummary summarize(std::vector<std::chrono::nanoseconds> round_trips);

}  // namespace zerotask::bench

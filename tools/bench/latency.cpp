#include "latency.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace zerotask::bench {
namespace {

// The smallest value with at least `fraction` of all values at or below it.
double percentile_us(const std::vector<std::chrono::nanoseconds>& sorted, double fraction) {
  auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  std::size_t index = rank == 0 ? 0 : rank - 1;
  return std::chrono::duration<double, std::micro>(sorted[index]).count();
}

}  // namespace

LatencySummary summarize(std::vector<std::chrono::nanoseconds> round_trips) {
  if (round_trips.empty()) throw std::invalid_argument("no round trips to summarize");
  std::sort(round_trips.begin(), round_trips.end());
  return LatencySummary{percentile_us(round_trips, 0.50), percentile_us(round_trips, 0.99)};
}

}  // namespace zerotask::bench

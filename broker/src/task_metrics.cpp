#include "task_metrics.hpp"

#include <algorithm>

namespace zerotask::broker {

void RunTimeHistogram::observe(std::int64_t elapsed_ms) {
  elapsed_ms = std::max<std::int64_t>(elapsed_ms, 0);  // the wall clock may step back
  std::size_t bucket = 0;
  while (bucket < kBoundsMs.size() && elapsed_ms > kBoundsMs[bucket]) ++bucket;
  ++counts_[bucket];
  sum_ms_ += elapsed_ms;
}

json RunTimeHistogram::to_json() const {
  json bounds = json::array();
  json cumulative = json::array();
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < kBoundsMs.size(); ++i) {
    bounds.push_back(static_cast<double>(kBoundsMs[i]) / 1000.0);
    running += counts_[i];
    cumulative.push_back(running);
  }
  running += counts_.back();
  return json{{"buckets", std::move(bounds)},
              {"counts", std::move(cumulative)},
              {"sum", static_cast<double>(sum_ms_) / 1000.0},
              {"count", running}};
}

}  // namespace zerotask::broker

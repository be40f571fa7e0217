// What broker.metrics reports that the scheduler keeps as it goes, so that a
// request costs O(functions + queues + nodes), never O(tasks): each function's tasks
// by state, and a histogram of how long attempts ran. Pure values; loop thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "zerotask/json_rpc.hpp"
#include "zerotask/task_state.hpp"

namespace zerotask::broker {

// One function's tasks held now, by state (indexed by TaskState).
struct FunctionTally {
  std::array<std::size_t, 6> by_state{};
  std::size_t total = 0;
};

// How long attempts ran, from their hand-out to their node's result, in fixed
// buckets (Prometheus histogram semantics: each bucket counts the observations at
// or under its bound).
class RunTimeHistogram {
 public:
  // The upper bounds of the buckets in milliseconds; the last bucket (+Inf) is implied.
  static constexpr std::array<std::int64_t, 16> kBoundsMs = {5,    10,   25,    50,    100,   250,    500,     1000,
                                                             2500, 5000, 10000, 30000, 60000, 300000, 1800000, 3600000};

  void observe(std::int64_t elapsed_ms);
  // {"buckets": [bounds in seconds], "counts": [cumulative, one per bound],
  //  "sum": seconds, "count": observations}
  json to_json() const;

 private:
  std::array<std::uint64_t, kBoundsMs.size() + 1> counts_{};  // per bucket, not cumulative; the last is +Inf
  std::int64_t sum_ms_ = 0;
};

}  // namespace zerotask::broker

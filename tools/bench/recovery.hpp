// The recovery figure: how long a broker restarted on a durable store that holds N
// tasks takes until it serves again. See docs/BENCHMARKS.md for the method.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <zmq.hpp>

namespace zerotask::bench {

struct Recovery {
  std::size_t tasks = 0;
  double fill_seconds = 0;         // queueing the tasks on the first broker (context, not a figure)
  double stop_seconds = 0;         // SIGTERM until the first broker had ended
  std::uintmax_t store_bytes = 0;  // the store's files once the first broker had ended
  double recover_seconds = 0;      // spawn of the second broker until its first answer to broker.ping
};

// Starts a broker with no node on a new SQLite store at `store_path` (executables
// in `bin_dir`), queues `tasks` tasks of a function no node serves with
// task.submit_many, stops it with SIGTERM, starts another broker on the same file
// and times it until it answers broker.ping; then checks with broker.stats that it
// holds every task as QUEUED. Throws std::runtime_error when any step fails; both
// brokers are stopped either way.
Recovery measure_recovery(zmq::context_t& context, const std::string& bin_dir, const std::string& store_path,
                          std::size_t tasks);

}  // namespace zerotask::bench

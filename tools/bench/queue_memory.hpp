// The memory figure: how much a broker's peak resident memory grows per queued
// task, beyond the task's payload. See docs/BENCHMARKS.md for the method.
#pragma once

#include <cstddef>
#include <cstdint>

#include <sys/types.h>

#include "rpc_connection.hpp"

namespace zerotask::bench {

struct QueueMemory {
  std::size_t tasks = 0;
  std::int64_t resident_before = 0;  // bytes (VmRSS) before the first submission
  std::int64_t peak_after = 0;       // bytes (VmHWM) once every task is queued
  bool peak_reset = false;           // the peak could be reset to VmRSS before the run
  std::size_t payload_bytes = 0;     // per task: function name + serialized params

  // (peak_after - resident_before) / tasks - payload_bytes
  double bytes_per_task_beyond_payload() const;
};

// Queues `tasks` tasks of a function no node serves on the broker behind
// `connection` (process `broker_pid`) with task.submit_many, 1,000 per message,
// checks with broker.stats that they are all QUEUED, and measures the broker's
// memory. With `cancel_afterwards` (a broker zt-bench did not start) the tasks are
// cancelled again. Throws std::runtime_error when a node serves that function.
QueueMemory measure_queue_memory(RpcConnection& connection, pid_t broker_pid, std::size_t tasks,
                                 bool cancel_afterwards);

}  // namespace zerotask::bench

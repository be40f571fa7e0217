#include "queue_memory.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers.hpp"
#include "durations.hpp"
#include "proc_memory.hpp"
#include "workload.hpp"

namespace zerotask::bench {
namespace {

// Batches in flight. Kept small on purpose: request bytes waiting in the broker's
// socket buffers would count in its peak but are not part of the queue.
constexpr std::size_t kBatchWindow = 4;
// Cancellations in flight (only for a broker somebody else runs).
constexpr std::size_t kCancelWindow = 1000;

void require_unserved(RpcConnection& connection) {
  json functions = connection.call("broker.functions", nullptr, kAdminTimeout).value("functions", json::array());
  for (const auto& function : functions) {
    if (function.value("name", "") == kQueuedFunction && function.value("nodes", 0) > 0) {
      throw std::runtime_error("a node serves " + std::string(kQueuedFunction) +
                               ", so tasks queued for the memory figure would not stay queued");
    }
  }
}

std::int64_t queued_count(RpcConnection& connection) {
  json stats = connection.call("broker.stats", nullptr, kAdminTimeout);
  return stats.at("tasks").at("QUEUED").get<std::int64_t>();
}

}  // namespace

double QueueMemory::bytes_per_task_beyond_payload() const {
  return static_cast<double>(peak_after - resident_before) / static_cast<double>(tasks) -
         static_cast<double>(payload_bytes);
}

QueueMemory measure_queue_memory(RpcConnection& connection, pid_t broker_pid, std::size_t tasks,
                                 bool cancel_afterwards) {
  require_unserved(connection);
  std::int64_t queued_before = queued_count(connection);

  QueueMemory memory;
  memory.tasks = tasks;
  memory.payload_bytes = kQueuedPayloadBytes;
  memory.peak_reset = reset_peak_memory(broker_pid);
  memory.resident_before = read_process_memory(broker_pid).resident_bytes;

  std::vector<std::string> ids;
  if (cancel_afterwards) ids.reserve(tasks);
  std::size_t created = 0;
  run_pipelined(
      connection, queue_batch_count(tasks), kBatchWindow, [&](std::uint64_t k) { return queue_batch_number(k, tasks); },
      [&](std::uint64_t, json& result) {
        const json& batch_ids = result.at("ids");
        created += batch_ids.size();
        if (cancel_afterwards) {
          for (const auto& id : batch_ids) ids.push_back(id.get<std::string>());
        }
      });
  memory.peak_after = read_process_memory(broker_pid).peak_bytes;

  std::int64_t queued_now = queued_count(connection);
  if (created != tasks || queued_now - queued_before < static_cast<std::int64_t>(tasks)) {
    throw std::runtime_error("the broker made " + std::to_string(created) + " of " + std::to_string(tasks) +
                             " tasks and holds " + std::to_string(queued_now - queued_before) + " more as QUEUED");
  }
  if (cancel_afterwards) {
    run_pipelined(connection, ids.size(), kCancelWindow, [&](std::uint64_t k) { return cancel_task(k, ids[k]); });
  }
  return memory;
}

}  // namespace zerotask::bench

// Outbox: how results and progress travel from worker threads to the I/O thread.
//
// Workers push under a mutex; the push that finds the outbox empty raises the
// Wakeup, whose fd the I/O thread polls. The I/O thread clears the Wakeup and then
// takes everything at once by swapping vectors, so all that is ready goes out in
// one node.done and neither side gives up its vectors' capacity.
//
// A task that reports progress again before the I/O thread has taken its previous
// report replaces that report's value in place (see ProgressTicket): however fast a
// function reports, a batch holds one report per task and copies its id once.
//
// push_result() and push_progress() are safe from any thread; take() belongs to the
// I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "messages.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::node_impl {

struct OutboxBatch {
  std::vector<TaskResult> results;
  std::vector<ProgressReport> progress;  // in the order of each task's first report

  bool empty() const { return results.empty() && progress.empty(); }
  void clear() {
    results.clear();
    progress.clear();
  }
};

// Where a task's last progress report waits in the outbox. One per running task,
// kept by its reporter and handed to every push_progress() of that task.
struct ProgressTicket {
  std::uint64_t take = 0;
  std::size_t index = std::numeric_limits<std::size_t>::max();  // none yet
};

class Outbox {
 public:
  explicit Outbox(Wakeup& wakeup) : wakeup_(wakeup) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  void push_result(TaskResult&& result);
  // Queues a report of task (id, attempt), or replaces the value of its report still
  // waiting here since the last take (per `ticket`, which this updates).
  void push_progress(const std::string& id, int attempt, json&& progress, ProgressTicket& ticket);
  // Moves everything pushed so far into `batch`, which must be empty.
  void take(OutboxBatch& batch);

 private:
  Wakeup& wakeup_;
  std::mutex mutex_;
  OutboxBatch pending_;
  std::uint64_t takes_ = 0;  // how many take()s there were: a ticket from before one is stale
};

}  // namespace zerotask::node_impl

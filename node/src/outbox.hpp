// Outbox: how results, progress and partial results travel from worker threads to
// the I/O thread.
//
// Workers push under a mutex; the push that finds the outbox empty raises the
// Wakeup, whose fd the I/O thread polls. The I/O thread clears the Wakeup and then
// takes everything at once by swapping vectors, so all that is ready goes out in
// one node.done and neither side gives up its vectors' capacity.
//
// A task that reports progress again before the I/O thread has taken its previous
// report replaces that report's value in place (see ProgressTicket): however fast a
// function reports, a batch holds one report per task and copies its id once.
// Partial results are never replaced: each is kept, in the order pushed. A worker
// pushes a task's partials before its result, so a batch never holds a result
// whose task has partials still to come.
//
// push_result(), push_progress() and push_partial() are safe from any thread; take()
// belongs to the I/O thread.
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
  std::vector<ProgressReport> partials;  // every one, in the order pushed

  bool empty() const { return results.empty() && progress.empty() && partials.empty(); }
  void clear() {
    results.clear();
    progress.clear();
    partials.clear();
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
  // Queues a partial result of task (id, attempt) after every one pushed before.
  void push_partial(const std::string& id, int attempt, json&& partial);
  // Moves everything pushed so far into `batch`, which must be empty.
  void take(OutboxBatch& batch);

 private:
  // Runs `add` on the pending batch under the lock, and raises the wake-up when the
  // batch was empty: the pushes after it land in the same batch, so this keeps a
  // write syscall off most of them.
  template <typename Add>
  void push(Add&& add);

  Wakeup& wakeup_;
  std::mutex mutex_;
  OutboxBatch pending_;
  std::uint64_t takes_ = 0;  // how many take()s there were: a ticket from before one is stale
};

}  // namespace zerotask::node_impl

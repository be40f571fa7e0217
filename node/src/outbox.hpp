// Outbox: how results and progress travel from worker threads to the I/O thread.
//
// Workers push under a mutex; the push that finds the outbox empty raises the
// Wakeup, whose fd the I/O thread polls. The I/O thread clears the Wakeup and then
// takes everything at once by swapping vectors, so all that is ready goes out in
// one node.done and neither side gives up its vectors' capacity.
//
// push_result() and push_progress() are safe from any thread; take() belongs to the
// I/O thread.
#pragma once

#include <mutex>
#include <vector>

#include "messages.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::node_impl {

struct OutboxBatch {
  std::vector<TaskResult> results;
  std::vector<ProgressReport> progress;  // in the order reported

  bool empty() const { return results.empty() && progress.empty(); }
  void clear() {
    results.clear();
    progress.clear();
  }
};

class Outbox {
 public:
  explicit Outbox(Wakeup& wakeup) : wakeup_(wakeup) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  void push_result(TaskResult&& result);
  void push_progress(ProgressReport&& report);
  // Moves everything pushed so far into `batch`, which must be empty.
  void take(OutboxBatch& batch);

 private:
  Wakeup& wakeup_;
  std::mutex mutex_;
  OutboxBatch pending_;
};

}  // namespace zerotask::node_impl

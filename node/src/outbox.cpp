#include "outbox.hpp"

#include <utility>

namespace zerotask::node_impl {

void Outbox::push_result(TaskResult&& result) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    was_empty = pending_.empty();
    pending_.results.push_back(std::move(result));
  }
  // Only the first push after a take() needs to wake the I/O thread: the ones after
  // it land in the same batch. This keeps a write syscall off most results.
  if (was_empty) wakeup_.notify();
}

void Outbox::push_progress(ProgressReport&& report) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    was_empty = pending_.empty();
    pending_.progress.push_back(std::move(report));
  }
  if (was_empty) wakeup_.notify();
}

void Outbox::take(OutboxBatch& batch) {
  std::lock_guard lock(mutex_);
  std::swap(batch.results, pending_.results);
  std::swap(batch.progress, pending_.progress);
}

}  // namespace zerotask::node_impl

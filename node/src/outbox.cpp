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

void Outbox::push_progress(const std::string& id, int attempt, json&& progress, ProgressTicket& ticket) {
  bool was_empty = false;
  json replaced;  // destroyed after the lock is released
  {
    std::lock_guard lock(mutex_);
    if (ticket.take == takes_ && ticket.index < pending_.progress.size()) {
      // Between two takes the vector only grows, so the ticket still points at this
      // task's report; the outbox is not empty, so the wake-up is already raised.
      replaced = std::exchange(pending_.progress[ticket.index].progress, std::move(progress));
      return;
    }
    was_empty = pending_.empty();
    ticket = ProgressTicket{takes_, pending_.progress.size()};
    pending_.progress.push_back(ProgressReport{id, attempt, std::move(progress)});
  }
  if (was_empty) wakeup_.notify();
}

void Outbox::take(OutboxBatch& batch) {
  std::lock_guard lock(mutex_);
  std::swap(batch.results, pending_.results);
  std::swap(batch.progress, pending_.progress);
  ++takes_;
}

}  // namespace zerotask::node_impl

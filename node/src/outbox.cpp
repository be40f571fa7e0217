#include "outbox.hpp"

#include <utility>

namespace zerotask::node_impl {

template <typename Add>
void Outbox::push(Add&& add) {
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    was_empty = pending_.empty();
    add(pending_);
  }
  if (was_empty) wakeup_.notify();
}

void Outbox::push_result(TaskResult&& result) {
  push([&result](OutboxBatch& pending) { pending.results.push_back(std::move(result)); });
}

void Outbox::push_progress(const std::string& id, int attempt, json&& progress, ProgressTicket& ticket) {
  json replaced;  // destroyed after the lock is released
  push([&](OutboxBatch& pending) {
    if (ticket.take == takes_ && ticket.index < pending.progress.size()) {
      // Between two takes the vector only grows, so the ticket still points at this
      // task's report.
      replaced = std::exchange(pending.progress[ticket.index].value, std::move(progress));
      return;
    }
    ticket = ProgressTicket{takes_, pending.progress.size()};
    pending.progress.push_back(ProgressReport{id, attempt, std::move(progress), ReportKind::Progress});
  });
}

void Outbox::push_partial(const std::string& id, int attempt, json&& partial) {
  push([&](OutboxBatch& pending) {
    pending.partials.push_back(ProgressReport{id, attempt, std::move(partial), ReportKind::Partial});
  });
}

void Outbox::take(OutboxBatch& batch) {
  std::lock_guard lock(mutex_);
  std::swap(batch.results, pending_.results);
  std::swap(batch.progress, pending_.progress);
  std::swap(batch.partials, pending_.partials);
  ++takes_;
}

}  // namespace zerotask::node_impl

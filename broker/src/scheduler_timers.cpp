// Scheduler, timers: what is due at each turn (wait deadlines, due and retried
// tasks, cancel grace periods, limits' tokens, silent nodes, orphaned leases,
// forgetting finished tasks) and the shutdown.
#include "scheduler.hpp"

#include <algorithm>

#include "task_errors.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/log.hpp"

namespace zerotask::broker {

void Scheduler::shutdown() {
  rpc::Error stopping{rpc::kInternalError, "the broker is stopping", json{{"type", rpc::kBrokerStoppingType}}};
  for (auto& [id, waiters] : waiters_) {
    for (const Waiter& waiter : waiters) outbox_.reply_error(waiter.to, stopping);
  }
  waiters_.clear();
  waiters_by_peer_.clear();
  wait_deadlines_.clear();
  if (webhook_taker_) outbox_.reply_error(*webhook_taker_, stopping);
  webhook_taker_.reset();
}

void Scheduler::tick(SteadyTime now) {
  expire_waits(now);
  release_due(now);
  expire_cancel_grace(now);
  while (!limit_wakeups_.empty() && limit_wakeups_.begin()->first <= now) {
    auto [at, function] = *limit_wakeups_.begin();
    limit_wakeups_.erase(limit_wakeups_.begin());
    auto pending = limit_wakeup_of_.find(function);
    if (pending != limit_wakeup_of_.end() && pending->second == at) limit_wakeup_of_.erase(pending);
    mark_function_dirty(function);
  }
  while (!own_ttl_.empty() && own_ttl_.begin()->first <= now) {
    Finished entry = own_ttl_.begin()->second;
    own_ttl_.erase(own_ttl_.begin());
    forget_if_unchanged(entry);
  }
  if (now >= next_liveness_check_) {
    next_liveness_check_ = now + config_.heartbeat_interval;
    for (const auto& routing_id : nodes_.silent_since(now - config_.heartbeat_interval * config_.liveness)) {
      drop_node(routing_id, "timeout");
    }
    expire_orphans(now);
    forget_finished(now, finished_, config_.keep_finished);
    forget_finished(now, failed_, config_.keep_failed);
  }
  if (now >= next_heartbeat_) {
    next_heartbeat_ = now + config_.heartbeat_interval;
    outbox_.publish("broker", json{{"event", "heartbeat"}, {"epoch", config_.epoch}, {"time", unix_time_ms()}});
  }
}

void Scheduler::expire_waits(SteadyTime now) {
  while (!wait_deadlines_.empty() && wait_deadlines_.begin()->first <= now) {
    // Not a structured binding: clang before 16 cannot capture one in the lambda below.
    const TaskId id = wait_deadlines_.begin()->second.first;
    const std::uint64_t serial = wait_deadlines_.begin()->second.second;
    wait_deadlines_.erase(wait_deadlines_.begin());
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    auto& list = it->second;
    auto waiter = std::find_if(list.begin(), list.end(), [&](const Waiter& w) { return w.serial == serial; });
    if (waiter == list.end()) continue;
    if (const TaskRecord* record = store_.find(id)) outbox_.reply_result(waiter->to, to_json(*record));
    waiter_gone(*waiter);
    list.erase(waiter);
    if (list.empty()) waiters_.erase(it);
  }
}

void Scheduler::release_due(SteadyTime now) {
  while (!due_.empty() && due_.begin()->first <= now) {
    TaskId id = due_.begin()->second;
    due_.erase(due_.begin());
    TaskRecord* record = store_.find(id);
    if (!record || record->state != TaskState::Pending || record->waiting_for > 0) continue;  // cancelled meanwhile
    queue_again(*record, false);
  }
}

void Scheduler::expire_cancel_grace(SteadyTime now) {
  while (!cancel_deadlines_.empty() && cancel_deadlines_.begin()->first <= now) {
    LeaseToken token = cancel_deadlines_.begin()->second;
    cancel_deadlines_.erase(cancel_deadlines_.begin());
    TaskRecord* record = store_.find(token.id);
    if (!record || record->state != TaskState::Running || record->attempt != token.attempt ||
        !record->cancel_requested) {
      continue;
    }
    // The node keeps the lease (and its slot) until it reports or is lost.
    log(LogLevel::Info, "broker", "task " + format_task_id(token.id) + " cancelled after its grace period");
    bool orphan = orphans_.erase(token.id) > 0;  // recovered, never reclaimed: no session holds it
    if (orphan) release_lease(*record);
    end_cancelled(*record);
    if (!orphan) pin(token.id);  // until its node reports or is lost
  }
}

void Scheduler::expire_orphans(SteadyTime now) {
  std::vector<TaskId> expired;
  for (const auto& [id, lease_end] : orphans_) {
    if (lease_end <= now) expired.push_back(id);
  }
  std::sort(expired.rbegin(), expired.rend());  // to the front newest first, so the oldest runs first
  for (TaskId id : expired) {
    orphans_.erase(id);
    TaskRecord* record = store_.find(id);
    if (!record || record->state != TaskState::Running) continue;
    release_lease(*record);
    lease_lost(*record, node_lost_error(record->node, "not reclaimed after a broker restart", id), true);
  }
}

void Scheduler::forget_finished(SteadyTime now, std::deque<Finished>& finished, std::chrono::milliseconds keep) {
  while (!finished.empty() && now - finished.front().at >= keep) {
    Finished entry = finished.front();
    finished.pop_front();
    forget_if_unchanged(entry);
  }
}

void Scheduler::forget_if_unchanged(const Finished& entry) {
  TaskRecord* record = store_.find(entry.id);
  // A task retried since it ended has a newer entry, or none while it runs again.
  if (!record || !is_final(record->state) || record->ended_at != entry.ended_at) return;
  if (pins_.contains(entry.id)) {
    expired_while_pinned_[entry.id] = entry.ended_at;
    return;
  }
  forget(*record);
}

void Scheduler::forget(TaskRecord& record) {
  uncount(record);
  if (!record.idempotency_key.empty()) {
    auto key = idempotency_keys_.find(record.idempotency_key);
    if (key != idempotency_keys_.end() && key->second == record.id) idempotency_keys_.erase(key);
  }
  store_.erase(record.id);
}

SteadyTime Scheduler::next_deadline() const {
  SteadyTime next = std::min(next_heartbeat_, next_liveness_check_);
  if (!wait_deadlines_.empty()) next = std::min(next, wait_deadlines_.begin()->first);
  if (!due_.empty()) next = std::min(next, due_.begin()->first);
  if (!cancel_deadlines_.empty()) next = std::min(next, cancel_deadlines_.begin()->first);
  if (!limit_wakeups_.empty()) next = std::min(next, limit_wakeups_.begin()->first);
  if (!own_ttl_.empty()) next = std::min(next, own_ttl_.begin()->first);
  return next;
}

}  // namespace zerotask::broker

#include "scheduler.hpp"

#include <algorithm>

#include "task_errors.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/log.hpp"
#include "zerotask/rpc_error.hpp"

namespace zerotask::broker {
namespace {

// QUEUED and PENDING: the states --max-queued and the per-key quotas count.
bool is_waiting(TaskState state) {
  return state == TaskState::Queued || state == TaskState::Pending;
}

[[noreturn]] void overloaded(std::string_view limit, std::size_t value, const std::string& message) {
  throw RpcError(rpc::kOverloaded, message, json{{"limit", limit}, {"value", value}});
}

}  // namespace

Scheduler::Scheduler(TaskStore& store, Outbox& outbox, SchedulerConfig config, SteadyTime now)
    : store_(store),
      outbox_(outbox),
      config_(std::move(config)),
      started_(now),
      limits_(store, now),
      random_(std::random_device{}()),
      next_heartbeat_(now),
      next_liveness_check_(now + config_.heartbeat_interval) {
  recover(now);
}

void Scheduler::recover(SteadyTime now) {
  if (store_.size() == 0) return;
  const std::int64_t unix_now = unix_time_ms();
  const auto lease = config_.heartbeat_interval * config_.liveness;
  auto steady_at = [&](std::int64_t unix_ms) { return steady_time_of(unix_ms, now, unix_now); };
  std::vector<TaskId> queued;
  std::vector<TaskId> pending;
  TaskId last_id = 0;
  std::vector<std::pair<TaskId, std::int64_t>> callbacks_due;
  store_.for_each([&](TaskRecord& record) {
    last_id = std::max(last_id, record.id);
    count_new(record);
    record.skip_attempt = true;
    if (record.callback_state == CallbackState::Pending) {
      // Undelivered before the restart: delivered now (a task retried meanwhile, once it ends again).
      ++webhooks_pending_;
      pin(record.id);
      if (is_final(record.state)) callbacks_due.emplace_back(record.id, record.ended_at);
    }
    if (!record.idempotency_key.empty()) idempotency_keys_.emplace(record.idempotency_key, record.id);
    if (record.unique && !is_final(record.state)) remember_unique(record);
    switch (record.state) {
      case TaskState::Queued: queued.push_back(record.id); break;
      case TaskState::Pending: pending.push_back(record.id); break;
      case TaskState::Running:
        orphans_.emplace(record.id, now + lease);
        ++running_by_function_[record.function];
        break;
      case TaskState::Failed:
      case TaskState::Succeeded:
      case TaskState::Cancelled: remember_finished(record, steady_at(record.ended_at)); break;
    }
  });
  std::sort(queued.begin(), queued.end());
  for (TaskId id : queued) enqueue(*store_.find(id), false);
  // Dependencies are counted once every record is loaded, in id order.
  std::sort(pending.begin(), pending.end());
  std::vector<TaskId> ended;
  for (TaskId id : pending) {
    TaskRecord& record = *store_.find(id);
    for (TaskId dependency : record.depends_on) {
      const TaskRecord* found = store_.find(dependency);
      if (found && !is_final(found->state)) {
        dependents_[dependency].push_back(id);
        ++record.waiting_for;
      }
    }
    if (record.waiting_for > 0) {
      for (TaskId dependency : record.depends_on) {
        const TaskRecord* found = store_.find(dependency);
        if (found && is_final(found->state)) pin_for(id, dependency);
      }
      continue;
    }
    if (record.run_at > 0) {
      due_.emplace(std::max(now, steady_at(record.run_at)), id);
    } else {
      ended.push_back(id);  // its last dependency ended in a turn whose commit was lost
    }
  }
  for (TaskId id : ended) dependencies_ended(*store_.find(id));
  auto by_time = [](const Finished& a, const Finished& b) { return a.at < b.at; };
  std::sort(finished_.begin(), finished_.end(), by_time);
  std::sort(failed_.begin(), failed_.end(), by_time);
  ids_.skip_past(last_id);
  std::sort(callbacks_due.begin(), callbacks_due.end());
  webhooks_due_.assign(callbacks_due.begin(), callbacks_due.end());
  std::string summary;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    summary += (summary.empty() ? "" : ", ") + std::to_string(counts_[i]) + " " +
               std::string(to_string(static_cast<TaskState>(i)));
  }
  log(LogLevel::Info, "broker", "recovered " + std::to_string(store_.size()) + " task(s) from the store: " + summary);
}

void Scheduler::count_new(TaskRecord& record) {
  const auto state = static_cast<std::size_t>(record.state);
  ++counts_[state];
  FunctionTally& tally = tallies_[record.function];
  ++tally.by_state[state];
  ++tally.total;
  record.tally = &tally;
  if (is_waiting(record.state)) count_waiting_by_submitter(record, true);
}

void Scheduler::uncount(const TaskRecord& record) {
  const auto state = static_cast<std::size_t>(record.state);
  if (is_waiting(record.state)) count_waiting_by_submitter(record, false);
  --counts_[state];
  --record.tally->by_state[state];
  if (--record.tally->total == 0) tallies_.erase(record.function);
}

void Scheduler::set_state(TaskRecord& record, TaskState state) {
  --counts_[static_cast<std::size_t>(record.state)];
  ++counts_[static_cast<std::size_t>(state)];
  --record.tally->by_state[static_cast<std::size_t>(record.state)];
  ++record.tally->by_state[static_cast<std::size_t>(state)];
  if (is_waiting(record.state) != is_waiting(state)) count_waiting_by_submitter(record, is_waiting(state));
  record.state = state;
}

void Scheduler::count_waiting_by_submitter(const TaskRecord& record, bool add) {
  if (record.submitter.empty()) return;
  std::size_t& waiting = waiting_by_submitter_[record.submitter.str()];
  if (add) {
    ++waiting;
  } else if (--waiting == 0) {
    waiting_by_submitter_.erase(record.submitter.str());
  }
}

void Scheduler::publish_task(const TaskRecord& record) {
  if (!outbox_.has_any_subscriber()) return;
  std::string id = format_task_id(record.id);
  std::string topic = "task." + id;
  if (!outbox_.has_subscriber(topic)) return;
  json body = {{"id", std::move(id)}, {"state", to_string(record.state)}, {"attempt", record.attempt}};
  if (record.state == TaskState::Running) body["node"] = record.node;
  if (record.cancel_requested) body["cancel_requested"] = true;
  if (record.state == TaskState::Succeeded) body["result"] = record.result;
  if (!record.error.is_null()) body["error"] = record.error;
  outbox_.publish(topic, body);
}

void Scheduler::check_store_available() const {
  if (!store_available_) {
    throw RpcError(rpc::kStoreUnavailable, "the store cannot write (" + store_error_ + "); nothing was done");
  }
}

void Scheduler::check_submissions(std::size_t count, std::size_t largest_payload, const Submitter& submitter) const {
  check_store_available();
  check_payload(largest_payload);
  if (waiting_tasks() + count > config_.max_queued) {
    overloaded("max_queued", config_.max_queued,
               "the broker holds its limit of " + std::to_string(config_.max_queued) +
                   " waiting tasks (--max-queued); try again later");
  }
  if (submitter.max_queued) {
    auto waiting = waiting_by_submitter_.find(submitter.name);
    std::size_t held = waiting == waiting_by_submitter_.end() ? 0 : waiting->second;
    if (held + count > *submitter.max_queued) {
      overloaded("max_queued_per_key", *submitter.max_queued,
                 "key '" + submitter.name + "' has " + std::to_string(held) + " waiting tasks and its quota is " +
                     std::to_string(*submitter.max_queued) + " (max_queued in the keys file); try again later");
    }
  }
}

void Scheduler::check_payload(std::size_t bytes) const {
  if (bytes > config_.max_payload_bytes) {
    overloaded("max_payload_bytes", config_.max_payload_bytes,
               "params of " + std::to_string(bytes) + " bytes exceed the limit of " +
                   std::to_string(config_.max_payload_bytes) + " bytes (--max-payload-bytes)");
  }
}

void Scheduler::check_waiter_capacity(std::string_view routing_id) const {
  auto it = waiters_by_peer_.find(std::string(routing_id));
  if (it != waiters_by_peer_.end() && it->second >= config_.max_waiting_per_peer) {
    overloaded("max_waiting_per_peer", config_.max_waiting_per_peer,
               "this connection has " + std::to_string(it->second) +
                   " calls waiting, the limit (--max-waiting-per-peer); try again later");
  }
}

std::size_t Scheduler::waiting_tasks() const {
  return counts_[static_cast<std::size_t>(TaskState::Queued)] + counts_[static_cast<std::size_t>(TaskState::Pending)];
}

Submitted Scheduler::submit(NewTask task, std::optional<ReplyTo> result_waiter) {
  if (result_waiter) check_waiter_capacity(result_waiter->envelope.routing_id());
  const TaskRecord* first = nullptr;
  if (!task.idempotency_key.empty()) {
    auto known = idempotency_keys_.find(task.idempotency_key);
    if (known != idempotency_keys_.end()) first = store_.find(known->second);
  }
  if (!first && task.unique) first = live_unique_twin(task.function, task.queue, task.params_json);
  if (first) {
    if (result_waiter) {
      Waiter waiter{std::move(*result_waiter), false, next_waiter_serial_++, std::nullopt};
      if (is_final(first->state)) {
        reply_to_waiter(waiter, *first);
      } else {
        add_waiter(first->id, std::move(waiter));
      }
    }
    return Submitted{first->id, first->state, true};
  }
  check_submissions(1, task.params_json.size(), task.submitter);
  check_dependencies(task.depends_on);
  TaskRecord record;
  record.id = ids_.next();
  record.function = std::move(task.function);
  record.params_json = std::move(task.params_json);
  record.state = TaskState::Pending;
  record.max_retries = task.max_retries.value_or(-1);
  record.timeout_ms = task.timeout_ms;
  record.idempotency_key = std::move(task.idempotency_key);
  record.queue = std::move(task.queue);
  record.priority = task.priority;
  record.run_at = task.run_at;
  record.depends_on = std::move(task.depends_on);
  record.on_dependency_failure = task.on_dependency_failure;
  record.pass_results = task.pass_results;
  record.unique = task.unique;
  record.result_ttl_ms = task.result_ttl_ms;
  record.callback_url = std::move(task.callback_url);
  record.submitter = std::move(task.submitter.name);
  record.created_at = unix_time_ms();
  ++submitted_;
  TaskRecord& stored = store_.insert(std::move(record));
  count_new(stored);
  if (!stored.idempotency_key.empty()) idempotency_keys_.emplace(stored.idempotency_key, stored.id);
  if (stored.unique) remember_unique(stored);
  if (result_waiter) {
    add_waiter(stored.id, Waiter{std::move(*result_waiter), false, next_waiter_serial_++, std::nullopt});
  }
  for (TaskId dependency : stored.depends_on) {
    if (!is_final(store_.find(dependency)->state)) {
      dependents_[dependency].push_back(stored.id);
      ++stored.waiting_for;
    }
  }
  if (stored.waiting_for > 0) {
    for (TaskId dependency : stored.depends_on) {
      if (is_final(store_.find(dependency)->state)) pin_for(stored.id, dependency);
    }
    publish_task(stored);
  } else if (!stored.depends_on.empty()) {
    dependencies_ended(stored);
  } else {
    queue_when_due(stored);
  }
  return Submitted{stored.id, stored.state, false};
}

void Scheduler::enqueue(TaskRecord& record, bool at_front) {
  record.queued_at = std::chrono::steady_clock::now();
  record.queued_at_front = at_front;
  Lane& lane = ready_.push(record, at_front);
  dirty_lanes_.insert(lane_key(record.queue, record.function));
  if (outbox_.has_any_subscriber()) {
    std::string topic = "queue." + record.queue;
    if (outbox_.has_subscriber(topic)) {
      outbox_.publish(topic, json{{"queue", record.queue}, {"function", record.function}, {"queued", lane.queued}});
    }
  }
}

void Scheduler::finish(TaskRecord& record, TaskState state, json result, json error) {
  set_state(record, state);
  record.ended_at = unix_time_ms();
  record.result = std::move(result);
  record.error = std::move(error);
  record.cancel_requested = false;
  store_.mark_changed(record);
  remember_finished(record, std::chrono::steady_clock::now());
  switch (state) {
    case TaskState::Succeeded: ++ended_succeeded_; break;
    case TaskState::Failed: ++ended_failed_; break;
    default: ++ended_cancelled_; break;
  }
  if (!record.callback_url.empty()) callback_due(record);
  if (record.unique) forget_unique(record);
  unpin_dependencies_of(record.id);  // cancelled while it waited
  if (state == TaskState::Succeeded && success_hook_) success_hook_(record);
  answer_waiters(record);
  publish_task(record);
  settle_dependents(record.id);
}

void Scheduler::remember_finished(const TaskRecord& record, SteadyTime at) {
  Finished entry{at, record.id, record.ended_at};
  if (record.result_ttl_ms >= 0) {
    own_ttl_.emplace(at + std::chrono::milliseconds(record.result_ttl_ms), entry);
  } else if (record.state == TaskState::Failed) {
    failed_.push_back(entry);
  } else {
    finished_.push_back(entry);
  }
}

void Scheduler::fail_attempt(TaskRecord& record, json error, bool lost_lease) {
  if (record.retries >= max_retries_of(record)) {
    // No node ran a lost attempt to its end: the error's data names the node, and a
    // result that node may still send is no result the broker took (already_taken).
    if (lost_lease) record.node.clear();
    finish(record, TaskState::Failed, nullptr, std::move(error));
    return;
  }
  ++record.retries;
  ++retried_;
  record.error = std::move(error);
  if (lost_lease) {
    // The task did nothing wrong: it runs again at once, ahead of newer work.
    queue_again(record, true);
    return;
  }
  auto delay = backoff(record.retries);
  clear_attempt(record);
  set_state(record, TaskState::Pending);
  record.run_at = unix_time_ms() + delay.count();
  store_.mark_changed(record);
  due_.emplace(std::chrono::steady_clock::now() + delay, record.id);
  publish_task(record);
}

void Scheduler::clear_attempt(TaskRecord& record) {
  record.node.clear();
  record.started_at = 0;
  record.progress = nullptr;
  record.partials = nullptr;
  record.partials_bytes = 0;
  record.partials_truncated = false;
}

void Scheduler::queue_again(TaskRecord& record, bool at_front) {
  clear_attempt(record);
  record.run_at = 0;
  set_state(record, TaskState::Queued);
  store_.mark_changed(record);
  enqueue(record, at_front);
  publish_task(record);
}

std::chrono::milliseconds Scheduler::backoff(int retry) {
  // Full jitter: a random wait up to an exponentially growing cap spreads the
  // retries of tasks that failed together.
  const std::int64_t base = config_.retry_backoff.count();
  const std::int64_t most = config_.retry_backoff_max.count();
  std::int64_t cap = base;
  for (int i = 1; i < retry && cap < most; ++i) cap *= 2;
  cap = std::min(cap, most);
  return std::chrono::milliseconds(
      std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(cap, 0))(random_));
}

int Scheduler::max_retries_of(const TaskRecord& record) const {
  if (record.max_retries >= 0) return record.max_retries;
  auto defaults = function_defaults_.find(record.function);
  if (defaults != function_defaults_.end() && defaults->second.max_retries) return *defaults->second.max_retries;
  return config_.max_retries;
}

std::int64_t Scheduler::timeout_of(const TaskRecord& record) const {
  if (record.timeout_ms > 0) return record.timeout_ms;
  auto defaults = function_defaults_.find(record.function);
  return defaults == function_defaults_.end() ? 0 : defaults->second.timeout_ms;
}

void Scheduler::release_lease(TaskRecord& record) {
  auto it = running_by_function_.find(record.function);
  if (it != running_by_function_.end() && --it->second == 0) running_by_function_.erase(it);
  if (limits_.has_limits(record.function)) mark_function_dirty(record.function);
}

void Scheduler::add_waiter(TaskId id, Waiter waiter) {
  ++waiters_by_peer_[std::string(waiter.to.envelope.routing_id())];
  waiters_[id].push_back(std::move(waiter));
}

void Scheduler::waiter_gone(const Waiter& waiter) {
  auto it = waiters_by_peer_.find(std::string(waiter.to.envelope.routing_id()));
  if (it != waiters_by_peer_.end() && --it->second == 0) waiters_by_peer_.erase(it);
}

void Scheduler::reply_to_waiter(const Waiter& waiter, const TaskRecord& record) {
  if (waiter.wants_task_object) {
    outbox_.reply_result(waiter.to, to_json(record));
  } else if (record.state == TaskState::Succeeded) {
    outbox_.reply_result(waiter.to, record.result);
  } else {
    outbox_.reply_error(waiter.to, error_from_json(record.error));
  }
}

void Scheduler::answer_waiters(const TaskRecord& record) {
  auto it = waiters_.find(record.id);
  if (it == waiters_.end()) return;
  for (const Waiter& waiter : it->second) {
    if (waiter.deadline) wait_deadlines_.erase(*waiter.deadline);
    reply_to_waiter(waiter, record);
    waiter_gone(waiter);
  }
  waiters_.erase(it);
}

void Scheduler::wait(TaskId id, std::chrono::milliseconds timeout, ReplyTo waiter, SteadyTime now) {
  TaskRecord* record = store_.find(id);
  if (is_final(record->state) || timeout.count() == 0) {
    outbox_.reply_result(waiter, to_json(*record));
    return;
  }
  check_waiter_capacity(waiter.envelope.routing_id());
  std::uint64_t serial = next_waiter_serial_++;
  auto deadline = wait_deadlines_.emplace(now + timeout, std::make_pair(id, serial));
  add_waiter(id, Waiter{std::move(waiter), true, serial, deadline});
}

json Scheduler::cancel(TaskId id, SteadyTime now) {
  std::string text = format_task_id(id);
  TaskRecord* record = store_.find(id);
  if (!record) throw RpcError(rpc::kNotFound, "no task " + text);
  if (is_final(record->state)) {
    throw RpcError(rpc::kNotCancellable,
                   "task " + text + " is " + std::string(to_string(record->state)) + " and cannot be cancelled");
  }
  check_store_available();
  if (record->state == TaskState::Running) {
    cancel_running(*record, now);
    return to_json(*record);
  }
  if (record->state == TaskState::Queued) ready_.removed(*record);
  finish(*record, TaskState::Cancelled, nullptr, cancelled_error(id));
  forget_lane_if_idle(record->queue, record->function);
  compact_due();
  return to_json(*record);
}

void Scheduler::compact_due() {
  // Cancelled PENDING tasks leave their due time behind; an eta may be a year away.
  const std::size_t pending = counts_[static_cast<std::size_t>(TaskState::Pending)];
  if (due_.size() <= 2 * pending + 1024) return;
  std::erase_if(due_, [&](const auto& entry) {
    const TaskRecord* record = store_.find(entry.second);
    return !record || record->state != TaskState::Pending;
  });
}

void Scheduler::end_cancelled(TaskRecord& record) {
  finish(record, TaskState::Cancelled, nullptr, cancelled_error(record.id));
}

json Scheduler::retry(TaskId id, const Submitter& submitter) {
  std::string text = format_task_id(id);
  TaskRecord* record = store_.find(id);
  if (!record) throw RpcError(rpc::kNotFound, "no task " + text);
  if (record->state != TaskState::Failed) {
    throw RpcError(rpc::kNotRetryable, "task " + text + " is " + std::string(to_string(record->state)) +
                                           "; only a FAILED task can be retried");
  }
  if (record->unique) {
    if (const TaskRecord* twin = live_unique_twin(record->function, record->queue, record->params_json)) {
      throw RpcError(rpc::kNotRetryable, "task " + text + " is unique and its twin " + format_task_id(twin->id) +
                                             " is " + std::string(to_string(twin->state)));
    }
  }
  check_submissions(1, 0, submitter);
  if (record->unique) remember_unique(*record);
  // FAILED is not a waiting state: changing the submitter here moves no count.
  record->submitter = submitter.name;
  record->retries = 0;
  record->error = nullptr;
  record->ended_at = 0;
  queue_again(*record, false);
  return to_json(*record);
}

void Scheduler::set_store_available(bool available, std::string error) {
  store_available_ = available;
  store_error_ = std::move(error);
  // Hand-outs stopped while the store could not write: every lane may have work.
  if (available) ready_.for_each([&](const Lane& lane) { dirty_lanes_.insert(lane_key(lane.queue, lane.function)); });
}

}  // namespace zerotask::broker

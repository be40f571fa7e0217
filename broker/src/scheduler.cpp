#include "scheduler.hpp"

#include <algorithm>

#include "zerotask/clock.hpp"
#include "zerotask/log.hpp"
#include "zerotask/rpc_error.hpp"
#include "zerotask/version.hpp"

namespace zerotask::broker {
namespace {

std::int64_t elapsed_ms(SteadyTime from, SteadyTime to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

rpc::Error error_from_json(const json& error) {
  return rpc::parse_error_object(error).value_or(rpc::Error{rpc::kTaskFailed, "task failed", nullptr});
}

// The error a node reported, with the task id added to its data.
json task_error(const json& reported, TaskId id) {
  rpc::Error error = error_from_json(reported);
  if (error.data.is_null()) error.data = json::object();
  if (error.data.is_object()) error.data["task"] = format_task_id(id);
  return error.to_json();
}

// The error of an attempt whose lease was lost with its node.
json node_lost_error(const std::string& node, std::string_view reason, TaskId id) {
  return rpc::Error{rpc::kTaskFailed, "the node running the task was lost (" + std::string(reason) + ")",
                    json{{"type", "zerotask::NodeLost"}, {"node", node}, {"task", format_task_id(id)}}}
      .to_json();
}

// A node that says goodbye hands its tasks back; any other loss is a failed attempt.
bool counts_as_failure(std::string_view reason) { return reason != "bye"; }

bool fits_attempt(const json& attempt) { return attempt.is_number_integer() && rpc::fits_int(attempt); }

SteadyTime steady_at_unix(std::int64_t unix_ms, SteadyTime now, std::int64_t unix_now) {
  return now + std::chrono::milliseconds(unix_ms - unix_now);
}

std::size_t unique_hash(std::string_view function, std::string_view queue, std::string_view params_json) {
  std::string key = lane_key(queue, function);
  key += params_json;
  return std::hash<std::string>{}(key);
}

json cancelled_error(TaskId id) {
  std::string text = format_task_id(id);
  return rpc::Error{rpc::kCancelled, "task " + text + " was cancelled", json{{"task", text}}}.to_json();
}

// The params of a task whose dependencies ended, with their results put first.
std::string params_with_results(const TaskRecord& record, json results) {
  json params = json::parse(record.params_json, nullptr, false);
  if (!params.is_array()) params = json::array();
  json out = json::array();
  if (record.pass_results == PassResults::List) {
    out.push_back(std::move(results));
  } else {
    for (auto& result : results) out.push_back(std::move(result));
  }
  for (auto& param : params) out.push_back(std::move(param));
  return rpc::to_text(out);
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
  auto steady_at = [&](std::int64_t unix_ms) { return steady_at_unix(unix_ms, now, unix_now); };
  std::vector<TaskId> queued;
  std::vector<TaskId> pending;
  TaskId last_id = 0;
  store_.for_each([&](TaskRecord& record) {
    last_id = std::max(last_id, record.id);
    ++counts_[static_cast<std::size_t>(record.state)];
    record.skip_attempt = true;
    if (!record.idempotency_key.empty()) idempotency_keys_.emplace(record.idempotency_key, record.id);
    if (record.unique && !is_final(record.state)) remember_unique(record);
    switch (record.state) {
      case TaskState::Queued:
        queued.push_back(record.id);
        break;
      case TaskState::Pending:
        pending.push_back(record.id);
        break;
      case TaskState::Running:
        orphans_.emplace(record.id, now + lease);
        ++running_by_function_[record.function];
        break;
      case TaskState::Failed:
      case TaskState::Succeeded:
      case TaskState::Cancelled:
        remember_finished(record, steady_at(record.ended_at));
        break;
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
  std::string summary;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    summary += (summary.empty() ? "" : ", ") + std::to_string(counts_[i]) + " " +
               std::string(to_string(static_cast<TaskState>(i)));
  }
  log(LogLevel::Info, "broker", "recovered " + std::to_string(store_.size()) + " task(s) from the store: " + summary);
}

// ---------------------------------------------------------------- task states

void Scheduler::set_state(TaskRecord& record, TaskState state) {
  --counts_[static_cast<std::size_t>(record.state)];
  ++counts_[static_cast<std::size_t>(state)];
  record.state = state;
}

void Scheduler::publish_task(const TaskRecord& record) {
  if (!outbox_.has_any_subscriber()) return;
  std::string id = format_task_id(record.id);
  std::string topic = "task." + id;
  if (!outbox_.has_subscriber(topic)) return;
  json body = {{"id", std::move(id)}, {"state", to_string(record.state)}, {"attempt", record.attempt}};
  if (record.state == TaskState::Running) body["node"] = record.node;
  if (record.state == TaskState::Succeeded) body["result"] = record.result;
  if (!record.error.is_null()) body["error"] = record.error;
  outbox_.publish(topic, body);
}

void Scheduler::check_store_available() const {
  if (!store_available_) {
    throw RpcError(rpc::kStoreUnavailable, "the store cannot write (" + store_error_ + "); nothing was done");
  }
}

void Scheduler::check_submissions(std::size_t count, std::size_t largest_payload) const {
  check_store_available();
  if (largest_payload > config_.max_payload_bytes) {
    overloaded("max_payload_bytes", config_.max_payload_bytes,
               "params of " + std::to_string(largest_payload) + " bytes exceed the limit of " +
                   std::to_string(config_.max_payload_bytes) + " bytes (--max-payload-bytes)");
  }
  if (waiting_tasks() + count > config_.max_queued) {
    overloaded("max_queued", config_.max_queued,
               "the broker holds its limit of " + std::to_string(config_.max_queued) +
                   " waiting tasks (--max-queued); try again later");
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
  if (!first && task.unique) first = live_unique_twin(task);
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
  check_submissions(1, task.params_json.size());
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
  record.created_at = unix_time_ms();
  ++counts_[static_cast<std::size_t>(TaskState::Pending)];
  ++submitted_;
  TaskRecord& stored = store_.insert(std::move(record));
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

void Scheduler::check_dependencies(const std::vector<TaskId>& ids) {
  for (TaskId id : ids) {
    if (!store_.find(id)) {
      throw RpcError(rpc::kInvalidParams, "depends_on: no task " + format_task_id(id) + " (unknown, or forgotten)");
    }
  }
}

const TaskRecord* Scheduler::live_unique_twin(const NewTask& task) {
  auto [begin, end] = unique_tasks_.equal_range(unique_hash(task.function, task.queue, task.params_json));
  for (auto it = begin; it != end; ++it) {
    const TaskRecord* twin = store_.find(it->second);
    if (twin && !is_final(twin->state) && twin->function == task.function && twin->queue == task.queue &&
        twin->params_json == task.params_json) {
      return twin;
    }
  }
  return nullptr;
}

void Scheduler::remember_unique(const TaskRecord& record) {
  unique_tasks_.emplace(unique_hash(record.function, record.queue, record.params_json), record.id);
}

void Scheduler::forget_unique(const TaskRecord& record) {
  auto [begin, end] = unique_tasks_.equal_range(unique_hash(record.function, record.queue, record.params_json));
  for (auto it = begin; it != end; ++it) {
    if (it->second == record.id) {
      unique_tasks_.erase(it);
      return;
    }
  }
}

void Scheduler::dependencies_ended(TaskRecord& record) {
  json results = json::array();
  const TaskRecord* failed = nullptr;
  TaskId failed_id = 0;
  for (TaskId id : record.depends_on) {
    const TaskRecord* dependency = store_.find(id);
    if (dependency && dependency->state == TaskState::Succeeded) {
      results.push_back(dependency->result);
      continue;
    }
    results.push_back(nullptr);
    if (failed_id == 0) {
      failed_id = id;
      failed = dependency;
    }
  }
  unpin_dependencies_of(record.id);
  if (failed_id != 0 && record.on_dependency_failure == DependencyFailure::Cancel) {
    std::string text = format_task_id(record.id);
    std::string cause = format_task_id(failed_id);
    std::string cause_state = failed ? std::string(to_string(failed->state)) : "forgotten";
    rpc::Error error{rpc::kCancelled, "task " + text + " was cancelled: its dependency " + cause + " is " + cause_state,
                     json{{"task", text}, {"dependency", cause}, {"dependency_state", cause_state}}};
    finish(record, TaskState::Cancelled, nullptr, error.to_json());
    return;
  }
  if (record.pass_results != PassResults::None) record.params_json = params_with_results(record, std::move(results));
  queue_when_due(record);
}

void Scheduler::queue_when_due(TaskRecord& record) {
  const std::int64_t unix_now = unix_time_ms();
  if (record.run_at <= unix_now) {
    queue_again(record, false);
    return;
  }
  if (record.state != TaskState::Pending) set_state(record, TaskState::Pending);
  store_.mark_changed(record);
  due_.emplace(steady_at_unix(record.run_at, std::chrono::steady_clock::now(), unix_now), record.id);
  publish_task(record);
}

void Scheduler::settle_dependents(TaskId id) {
  settling_.push_back(id);
  if (settling_now_) return;
  settling_now_ = true;
  while (!settling_.empty()) {
    TaskId ended = settling_.front();
    settling_.pop_front();
    auto it = dependents_.find(ended);
    if (it == dependents_.end()) continue;
    std::vector<TaskId> waiting = std::move(it->second);
    dependents_.erase(it);
    for (TaskId dependent : waiting) {
      TaskRecord* record = store_.find(dependent);
      if (!record || record->state != TaskState::Pending || record->waiting_for == 0) continue;
      if (--record->waiting_for == 0) {
        dependencies_ended(*record);
      } else {
        pin_for(dependent, ended);
      }
    }
  }
  settling_now_ = false;
}

void Scheduler::enqueue(TaskRecord& record, bool at_front) {
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
  return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(cap, 0))(random_));
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

void Scheduler::mark_function_dirty(const std::string& function) {
  ready_.for_each([&](const Lane& lane) {
    if (lane.function == function) dirty_lanes_.insert(lane_key(lane.queue, lane.function));
  });
}

json Scheduler::set_limits(const json& params, SteadyTime now) {
  check_store_available();
  json limit = limits_.set(params, now);
  const std::string& function = limit["function"].get_ref<const std::string&>();
  held_.erase(function);
  mark_function_dirty(function);
  return limit;
}

json Scheduler::remove_limits(const json& params) {
  check_store_available();
  json limit = limits_.remove(params);
  const std::string& function = limit["function"].get_ref<const std::string&>();
  held_.erase(function);
  mark_function_dirty(function);
  return limit;
}

json Scheduler::describe(const TaskRecord& record) const {
  json task = to_json(record);
  if (record.state != TaskState::Queued) return task;
  if (nodes_.serving(record.queue, record.function).empty()) {
    task["held"] = "no connected node serves " + record.function + " from queue " + record.queue;
  } else if (auto held = held_.find(record.function); held != held_.end()) {
    task["held"] = held->second;
  }
  return task;
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
  return to_json(*record);
}

void Scheduler::cancel_running(TaskRecord& record, SteadyTime now) {
  if (record.cancel_requested) return;
  // Recovered after a restart and not reclaimed: no node runs it for the broker.
  if (orphans_.erase(record.id) > 0) {
    release_lease(record);
    finish(record, TaskState::Cancelled, nullptr, cancelled_error(record.id));
    return;
  }
  record.cancel_requested = true;
  store_.mark_changed(record);
  if (const NodeSession* session = nodes_.find_by_name(record.node)) ask_node_to_cancel(*session, record, now);
  publish_task(record);
}

void Scheduler::ask_node_to_cancel(const NodeSession& session, const TaskRecord& record, SteadyTime now) {
  json body = {{"jsonrpc", "2.0"},
               {"method", "node.cancel"},
               {"params", {{"tasks", json::array({json{{"id", format_task_id(record.id)}, {"attempt", record.attempt}}})}}}};
  outbox_.notify(Envelope::for_routing_id(session.routing_id), rpc::to_text(body));
  cancel_deadlines_.emplace(now + config_.cancel_grace, LeaseToken{record.id, record.attempt});
}

void Scheduler::end_cancelled(TaskRecord& record) {
  finish(record, TaskState::Cancelled, nullptr, cancelled_error(record.id));
}

json Scheduler::retry(TaskId id) {
  std::string text = format_task_id(id);
  TaskRecord* record = store_.find(id);
  if (!record) throw RpcError(rpc::kNotFound, "no task " + text);
  if (record->state != TaskState::Failed) {
    throw RpcError(rpc::kNotRetryable, "task " + text + " is " + std::string(to_string(record->state)) +
                                           "; only a FAILED task can be retried");
  }
  check_submissions(1, 0);
  if (record->unique) remember_unique(*record);
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

// ---------------------------------------------------------------- nodes

json Scheduler::hello(const std::string& routing_id, std::string name, std::vector<FunctionSpec> functions,
                      std::size_t slots, const std::vector<LeaseToken>& running, SteadyTime now,
                      std::vector<std::string> queues) {
  NodeSession session;
  session.routing_id = routing_id;
  session.name = std::move(name);
  for (auto& spec : functions) {
    function_defaults_[spec.name] = FunctionDefaults{spec.max_retries, spec.timeout_ms};
    session.functions.push_back(std::move(spec.name));
  }
  session.queues = std::move(queues);
  mark_lanes_dirty(session);
  session.slots = slots;
  session.last_seen = now;
  std::vector<NodeSession> replaced = nodes_.add(std::move(session));
  NodeSession& added = *nodes_.find(routing_id);
  // Leases the node says it still holds: kept when the broker holds them for a node
  // of this name, be it a session this hello replaces or a task recovered from the store.
  for (const LeaseToken& token : running) {
    TaskRecord* record = store_.find(token.id);
    if (!record || record->state != TaskState::Running || record->attempt != token.attempt ||
        record->node != added.name) {
      continue;
    }
    bool held = orphans_.erase(token.id) > 0;
    for (NodeSession& old : replaced) held = (old.running.erase(token.id) + old.adopted.erase(token.id) > 0) || held;
    if (!held) continue;
    added.adopted.insert(token.id);
    // A cancel asked for while the node was away reaches it now.
    if (record->cancel_requested) ask_node_to_cancel(added, *record, now);
  }
  for (NodeSession& old : replaced) {
    log(LogLevel::Info, "broker", "node " + old.name + " replaced by a new hello");
    lose_leases(old, "replaced");
    outbox_.publish("node." + old.name, json{{"node", old.name}, {"event", "left"}, {"reason", "replaced"}});
  }
  log(LogLevel::Info, "broker",
      "node " + added.name + " joined with " + std::to_string(slots) + " slots" +
          (added.adopted.empty() ? "" : " and " + std::to_string(added.adopted.size()) + " task(s) still running"));
  outbox_.publish("node." + added.name, json{{"node", added.name}, {"event", "joined"}});
  return json{{"epoch", config_.epoch},
              {"heartbeat_ms", config_.heartbeat_interval.count()},
              {"max_depth", config_.max_depth},
              {"max_message_bytes", config_.max_message_bytes}};
}

bool Scheduler::touch(const std::string& routing_id, SteadyTime now) {
  NodeSession* session = nodes_.find(routing_id);
  if (!session) return false;
  session->last_seen = now;
  return true;
}

void Scheduler::pull(const std::string& routing_id, std::size_t slots) {
  NodeSession* session = nodes_.find(routing_id);
  if (!session) return;
  session->slots = slots;
  mark_lanes_dirty(*session);
}

void Scheduler::done(const std::string& routing_id, const json& results) {
  NodeSession* session = nodes_.find(routing_id);
  if (!session) return;
  for (const auto& entry : results) finish_entry(*session, entry);
  mark_lanes_dirty(*session);
}

void Scheduler::mark_lanes_dirty(const NodeSession& session) {
  for (const auto& queue : session.queues) {
    for (const auto& function : session.functions) dirty_lanes_.insert(lane_key(queue, function));
  }
}

bool Scheduler::holds_lease(NodeSession& session, const TaskRecord& record, std::int64_t attempt) {
  if (record.state != TaskState::Running || record.attempt != attempt) return false;
  if (session.running.contains(record.id) || session.adopted.contains(record.id)) return true;
  // Recovered from the store after a restart: the node it ran on, back under the
  // same name, delivers it.
  if (record.node == session.name && orphans_.erase(record.id) > 0) {
    session.adopted.insert(record.id);
    if (record.cancel_requested) ask_node_to_cancel(session, record, std::chrono::steady_clock::now());
    return true;
  }
  return false;
}

bool Scheduler::already_taken(const NodeSession& session, const TaskRecord& record, std::int64_t attempt) const {
  return is_final(record.state) && record.attempt == attempt && record.node == session.name;
}

void Scheduler::refuse_from_unknown_peer(std::size_t results) {
  stale_results_ += results;
  log(LogLevel::Warn, "broker",
      "refused " + std::to_string(results) + " result(s) from a node the broker does not know: its leases are gone");
}

void Scheduler::finish_entry(NodeSession& session, const json& entry) {
  if (!entry.is_object()) return;
  auto id_field = entry.find("id");
  auto attempt_field = entry.find("attempt");
  std::optional<TaskId> id;
  if (id_field != entry.end() && id_field->is_string()) id = parse_task_id(id_field->get_ref<const std::string&>());
  auto result = entry.find("result");
  auto error = entry.find("error");
  if (!id || attempt_field == entry.end() || !fits_attempt(*attempt_field) ||
      (result == entry.end()) == (error == entry.end())) {
    log(LogLevel::Warn, "broker", "ignored a malformed node.done entry from node " + session.name);
    return;
  }
  TaskRecord* record = store_.find(*id);
  int attempt = attempt_field->get<int>();
  if (record && already_taken(session, *record, attempt)) {
    // Cancelled past its grace period while the node still ran it: the node's slot is free now.
    if (session.running.erase(*id) + session.adopted.erase(*id) > 0) {
      release_lease(*record);
      unpin(*id);
    }
    return;
  }
  if (!record || !holds_lease(session, *record, attempt)) {
    ++stale_results_;
    log(LogLevel::Warn, "broker",
        "refused a result for task " + format_task_id(*id) + " attempt " + std::to_string(attempt) + " from node " +
            session.name + ": its lease is stale");
    return;
  }
  session.running.erase(*id);
  session.adopted.erase(*id);
  release_lease(*record);
  if (record->cancel_requested) {
    end_cancelled(*record);
  } else if (result != entry.end()) {
    finish(*record, TaskState::Succeeded, *result, nullptr);
  } else {
    fail_attempt(*record, task_error(*error, *id), false);
  }
  forget_lane_if_idle(record->queue, record->function);
}

void Scheduler::progress(const std::string& routing_id, TaskId id, std::int64_t attempt, std::optional<json> progress,
                         std::optional<json> partial) {
  NodeSession* session = nodes_.find(routing_id);
  TaskRecord* record = store_.find(id);
  if (!session || !record || !holds_lease(*session, *record, attempt)) {
    ++stale_results_;
    log(LogLevel::Warn, "broker",
        "refused progress for task " + format_task_id(id) + " attempt " + std::to_string(attempt) +
            ": its lease is stale");
    return;
  }
  std::optional<std::size_t> partial_index;
  if (partial) partial_index = add_partial(*record, std::move(*partial));
  if (progress) record->progress = std::move(*progress);
  store_.mark_changed(*record);
  if (!outbox_.has_any_subscriber()) return;
  std::string text = format_task_id(id);
  std::string topic = "task." + text;
  if (!outbox_.has_subscriber(topic)) return;
  json event = {{"id", std::move(text)}, {"state", to_string(record->state)}, {"attempt", record->attempt}};
  if (progress) event["progress"] = record->progress;
  if (partial_index) {
    event["partial"] = record->partials.back();
    event["index"] = *partial_index;
  }
  if (progress || partial_index) outbox_.publish(topic, event);
}

std::optional<std::size_t> Scheduler::add_partial(TaskRecord& record, json partial) {
  if (record.partials_truncated) return std::nullopt;
  if (record.partials_bytes == 0 && !record.partials.is_null()) record.partials_bytes = rpc::to_text(record.partials).size();
  const std::size_t size = rpc::to_text(partial).size() + 1;  // and its comma
  if (record.partials_bytes + size > config_.max_payload_bytes) {
    record.partials_truncated = true;
    log(LogLevel::Warn, "broker",
        "task " + format_task_id(record.id) + " streams more partial results than --max-payload-bytes; later ones are dropped");
    return std::nullopt;
  }
  if (record.partials.is_null()) record.partials = json::array();
  record.partials.push_back(std::move(partial));
  record.partials_bytes += size;
  return record.partials.size() - 1;
}

void Scheduler::drop_node(const std::string& routing_id, std::string_view reason) {
  auto session = nodes_.remove(routing_id);
  if (!session) return;
  log(LogLevel::Info, "broker",
      "node " + session->name + " left (" + std::string(reason) + "), " +
          std::to_string(session->running.size() + session->adopted.size()) + " lease(s) lost");
  lose_leases(*session, reason);
  for (const auto& queue : session->queues) {
    for (const auto& function : session->functions) forget_lane_if_idle(queue, function);
  }
  outbox_.publish("node." + session->name, json{{"node", session->name}, {"event", "left"}, {"reason", reason}});
}

void Scheduler::lose_leases(NodeSession& session, std::string_view reason) {
  std::vector<TaskId> held(session.running.begin(), session.running.end());
  held.insert(held.end(), session.adopted.begin(), session.adopted.end());
  std::sort(held.rbegin(), held.rend());  // pushed to the front newest first, so the oldest runs first
  for (TaskId id : held) {
    TaskRecord* record = store_.find(id);
    if (!record) continue;
    release_lease(*record);
    // A task cancelled past its grace period is final already; only its slot was held.
    if (record->state != TaskState::Running) {
      unpin(id);
      continue;
    }
    lease_lost(*record, node_lost_error(session.name, reason, id), counts_as_failure(reason));
  }
  session.running.clear();
  session.adopted.clear();
}

void Scheduler::lease_lost(TaskRecord& record, json error, bool counts_as_failure) {
  if (record.cancel_requested) {
    end_cancelled(record);
  } else if (counts_as_failure) {
    fail_attempt(record, std::move(error), true);
  } else {
    queue_again(record, true);
  }
}

// ---------------------------------------------------------------- each turn

namespace {

constexpr std::string_view kRunPrefix = R"({"jsonrpc":"2.0","method":"node.run","params":{"tasks":[)";
constexpr std::string_view kRunSuffix = "]}}";

// Appends one task of a node.run as text, the params as the record keeps them.
void append_run_entry(std::string& out, const TaskRecord& record, const std::string& function_json,
                      std::int64_t timeout_ms) {
  out += R"({"id":")";
  out += format_task_id(record.id);
  out += R"(","function":)";
  out += function_json;
  out += R"(,"params":)";
  out += record.params_json;
  out += R"(,"attempt":)";
  out += std::to_string(record.attempt);
  if (timeout_ms > 0) {
    out += R"(,"timeout_ms":)";
    out += std::to_string(timeout_ms);
  }
  out += '}';
}

}  // namespace

void Scheduler::dispatch() {
  // A hand-out that cannot be stored is not made; the lanes are looked at again
  // once the store writes (set_store_available).
  if (!store_available_) return;
  // Half the message limit leaves room for the envelope and keeps the node's
  // parse of one message bounded.
  const std::size_t split_at = static_cast<std::size_t>(config_.max_message_bytes / 2);
  std::unordered_map<std::string, std::string> runs;  // routing id -> node.run text being built
  auto send_run = [&](const std::string& routing_id, std::string& text) {
    text += kRunSuffix;
    outbox_.hand_out(Envelope::for_routing_id(routing_id), std::move(text));
    text.clear();
  };
  auto is_queued = [&](TaskId id) {
    const TaskRecord* record = store_.find(id);
    return record && record->state == TaskState::Queued;
  };
  const SteadyTime now = std::chrono::steady_clock::now();
  std::set<std::string> held_back;  // functions a limit stops this turn
  // False when a limit stops `lane`'s function from starting one more task now.
  auto may_start = [&](const Lane& lane) {
    if (!limits_.has_limits(lane.function)) return true;
    if (held_back.contains(lane.function)) return false;
    std::string reason = limits_.held_reason(lane.function, running_by_function_[lane.function], now);
    if (reason.empty()) return true;
    held_[lane.function] = std::move(reason);
    held_back.insert(lane.function);
    if (auto token = limits_.next_token(lane.function, now)) limit_wakeups_.emplace(*token, lane.function);
    return false;
  };
  std::vector<Lane*> lanes;
  for (const std::string& key : dirty_lanes_) {
    Lane* lane = ready_.find(key);
    if (lane && lane->queued > 0) lanes.push_back(lane);
  }
  dirty_lanes_.clear();
  // Every lane's higher priorities before any lane's lower ones, so that a node
  // serving several lanes starts the most urgent work first.
  for (int priority = kMaxPriority; priority >= 0 && !lanes.empty(); --priority) {
    for (Lane* lane : lanes) {
      if (lane->by_priority[static_cast<std::size_t>(priority)].empty()) continue;
      const auto& serving = nodes_.serving(lane->queue, lane->function);
      bool handed_out = true;
      while (lane->queued > 0 && handed_out) {
        handed_out = false;
        for (std::size_t i = 0; i < serving.size() && lane->queued > 0; ++i) {
          NodeSession* node = nodes_.find(serving[(lane->cursor + i) % serving.size()]);
          if (!node || node->credit() == 0) continue;
          if (!may_start(*lane)) break;
          auto id = ready_.pop(*lane, priority, is_queued);
          if (!id) break;
          if (limits_.has_limits(lane->function)) {
            limits_.started(lane->function);
            held_.erase(lane->function);
          }
          TaskRecord& record = *store_.find(*id);
          ++running_by_function_[record.function];
          set_state(record, TaskState::Running);
          record.attempt += record.skip_attempt ? 2 : 1;
          record.skip_attempt = false;
          record.started_at = unix_time_ms();
          record.node = node->name;
          store_.mark_changed(record);
          node->running.insert(*id);
          std::string& text = runs[node->routing_id];
          if (!text.empty() && text.size() >= split_at) send_run(node->routing_id, text);
          if (text.empty()) {
            text = kRunPrefix;
          } else {
            text += ',';
          }
          append_run_entry(text, record, lane->function_json, timeout_of(record));
          publish_task(record);
          handed_out = true;
        }
        ++lane->cursor;
      }
    }
  }
  for (auto& [routing_id, text] : runs) {
    if (!text.empty()) send_run(routing_id, text);
  }
}

void Scheduler::forget_lane_if_idle(const std::string& queue, const std::string& function) {
  // Lanes of served functions stay (they come back at once); the others would
  // otherwise pile up, one per name any client ever sent.
  if (nodes_.serving(queue, function).empty()) ready_.erase_if_empty(lane_key(queue, function));
}

void Scheduler::shutdown() {
  rpc::Error stopping{rpc::kInternalError, "the broker is stopping", nullptr};
  for (auto& [id, waiters] : waiters_) {
    for (const Waiter& waiter : waiters) outbox_.reply_error(waiter.to, stopping);
  }
  waiters_.clear();
  waiters_by_peer_.clear();
  wait_deadlines_.clear();
}

void Scheduler::tick(SteadyTime now) {
  expire_waits(now);
  release_due(now);
  expire_cancel_grace(now);
  while (!limit_wakeups_.empty() && limit_wakeups_.begin()->first <= now) {
    mark_function_dirty(limit_wakeups_.begin()->second);
    limit_wakeups_.erase(limit_wakeups_.begin());
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
    end_cancelled(*record);
    pin(token.id);  // until its node reports or is lost
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

void Scheduler::unpin(TaskId id) {
  auto pins = pins_.find(id);
  if (pins == pins_.end() || --pins->second > 0) return;
  pins_.erase(pins);
  auto expired = expired_while_pinned_.find(id);
  if (expired == expired_while_pinned_.end()) return;
  std::int64_t ended_at = expired->second;
  expired_while_pinned_.erase(expired);
  TaskRecord* record = store_.find(id);
  if (record && is_final(record->state) && record->ended_at == ended_at) forget(*record);
}

void Scheduler::pin_for(TaskId dependent, TaskId dependency) {
  pin(dependency);
  pinned_by_[dependent].push_back(dependency);
}

void Scheduler::unpin_dependencies_of(TaskId dependent) {
  auto it = pinned_by_.find(dependent);
  if (it == pinned_by_.end()) return;
  std::vector<TaskId> pinned = std::move(it->second);
  pinned_by_.erase(it);
  for (TaskId dependency : pinned) unpin(dependency);
}

void Scheduler::forget(TaskRecord& record) {
  --counts_[static_cast<std::size_t>(record.state)];
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

// ---------------------------------------------------------------- introspection

json Scheduler::stats(SteadyTime now) const {
  json tasks = json::object();
  for (std::size_t i = 0; i < counts_.size(); ++i) tasks[std::string(to_string(static_cast<TaskState>(i)))] = counts_[i];
  std::size_t slots = 0;
  std::size_t running = 0;
  for (const auto& [routing_id, session] : nodes_.sessions()) {
    slots += session.slots;
    running += session.running.size() + session.adopted.size();
  }
  return json{{"epoch", config_.epoch},
              {"version", zerotask::version()},
              {"uptime_ms", elapsed_ms(started_, now)},
              {"store", store_.name()},
              {"store_ok", store_available_},
              {"tasks", tasks},
              {"submitted", submitted_},
              {"retried", retried_},
              {"stale_results", stale_results_},
              {"nodes", nodes_.size()},
              {"slots", slots},
              {"running", running}};
}

json Scheduler::functions() const {
  std::set<std::string> names;
  for (const auto& name : nodes_.functions()) names.insert(name);
  ready_.for_each([&](const Lane& lane) {
    if (lane.queued > 0) names.insert(lane.function);
  });
  for (const auto& [name, running] : running_by_function_) names.insert(name);
  json list = json::array();
  for (const auto& name : names) {
    auto running = running_by_function_.find(name);
    list.push_back(json{{"name", name},
                        {"nodes", nodes_.serving_count(name)},
                        {"queued", ready_.queued(name)},
                        {"running", running == running_by_function_.end() ? 0 : running->second}});
  }
  return json{{"functions", list}};
}

json Scheduler::nodes(SteadyTime now) const {
  json list = json::array();
  for (const auto& [routing_id, session] : nodes_.sessions()) {
    list.push_back(json{{"name", session.name},
                        {"functions", session.functions},
                        {"slots", session.slots},
                        {"running", session.running.size() + session.adopted.size()},
                        {"idle_ms", elapsed_ms(session.last_seen, now)}});
  }
  std::sort(list.begin(), list.end(), [](const json& a, const json& b) { return a["name"] < b["name"]; });
  return json{{"nodes", list}};
}

}  // namespace zerotask::broker

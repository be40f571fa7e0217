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

bool fits_attempt(const json& attempt) { return attempt.is_number_integer() && rpc::fits_int(attempt); }

}  // namespace

Scheduler::Scheduler(TaskStore& store, Outbox& outbox, SchedulerConfig config, SteadyTime now)
    : store_(store),
      outbox_(outbox),
      config_(std::move(config)),
      started_(now),
      next_heartbeat_(now),
      next_liveness_check_(now + config_.heartbeat_interval) {}

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

TaskId Scheduler::submit(NewTask task, std::optional<ReplyTo> result_waiter) {
  TaskRecord record;
  record.id = ids_.next();
  record.function = std::move(task.function);
  record.params = std::move(task.params);
  record.state = TaskState::Queued;
  record.created_at = unix_time_ms();
  ++counts_[static_cast<std::size_t>(TaskState::Queued)];
  ++submitted_;
  TaskRecord& stored = store_.insert(std::move(record));
  if (result_waiter) {
    waiters_[stored.id].push_back(Waiter{std::move(*result_waiter), false, next_waiter_serial_++, std::nullopt});
  }
  enqueue(stored, false);
  publish_task(stored);
  return stored.id;
}

void Scheduler::enqueue(TaskRecord& record, bool at_front) {
  FunctionQueue& queue = queues_[record.function];
  if (at_front) {
    queue.ids.push_front(record.id);
  } else {
    queue.ids.push_back(record.id);
  }
  ++queue.queued;
  dirty_functions_.insert(record.function);
  if (outbox_.has_any_subscriber()) {
    std::string topic = "queue." + record.function;
    if (outbox_.has_subscriber(topic)) {
      outbox_.publish(topic, json{{"function", record.function}, {"queued", queue.queued}});
    }
  }
}

void Scheduler::finish(TaskRecord& record, TaskState state, json result, json error) {
  set_state(record, state);
  record.ended_at = unix_time_ms();
  record.result = std::move(result);
  record.error = std::move(error);
  store_.mark_changed(record);
  finished_.emplace_back(std::chrono::steady_clock::now(), record.id);
  answer_waiters(record);
  publish_task(record);
}

void Scheduler::answer_waiters(const TaskRecord& record) {
  auto it = waiters_.find(record.id);
  if (it == waiters_.end()) return;
  for (const Waiter& waiter : it->second) {
    if (waiter.deadline) wait_deadlines_.erase(*waiter.deadline);
    if (waiter.wants_task_object) {
      outbox_.reply_result(waiter.to, to_json(record));
    } else if (record.state == TaskState::Succeeded) {
      outbox_.reply_result(waiter.to, record.result);
    } else {
      outbox_.reply_error(waiter.to, error_from_json(record.error));
    }
  }
  waiters_.erase(it);
}

void Scheduler::wait(TaskId id, std::chrono::milliseconds timeout, ReplyTo waiter, SteadyTime now) {
  TaskRecord* record = store_.find(id);
  if (is_final(record->state) || timeout.count() == 0) {
    outbox_.reply_result(waiter, to_json(*record));
    return;
  }
  std::uint64_t serial = next_waiter_serial_++;
  auto deadline = wait_deadlines_.emplace(now + timeout, std::make_pair(id, serial));
  waiters_[id].push_back(Waiter{std::move(waiter), true, serial, deadline});
}

json Scheduler::cancel(TaskId id) {
  std::string text = format_task_id(id);
  TaskRecord* record = store_.find(id);
  if (!record) throw RpcError(rpc::kNotFound, "no task " + text);
  if (record->state != TaskState::Queued && record->state != TaskState::Pending) {
    throw RpcError(rpc::kNotCancellable,
                   "task " + text + " is " + std::string(to_string(record->state)) + " and cannot be cancelled");
  }
  if (record->state == TaskState::Queued) --queues_[record->function].queued;
  rpc::Error error{rpc::kCancelled, "task " + text + " was cancelled", json{{"task", text}}};
  finish(*record, TaskState::Cancelled, nullptr, error.to_json());
  forget_queue_if_idle(record->function);
  return to_json(*record);
}

// ---------------------------------------------------------------- nodes

json Scheduler::hello(const std::string& routing_id, std::string name, std::vector<std::string> functions,
                      std::size_t slots, SteadyTime now) {
  NodeSession session;
  session.routing_id = routing_id;
  session.name = std::move(name);
  session.functions = std::move(functions);
  session.slots = slots;
  session.last_seen = now;
  for (const auto& function : session.functions) dirty_functions_.insert(function);
  std::string joined = session.name;
  for (NodeSession& replaced : nodes_.add(std::move(session))) {
    log(LogLevel::Info, "broker", "node " + replaced.name + " replaced by a new hello");
    requeue_all(replaced);
    outbox_.publish("node." + replaced.name, json{{"node", replaced.name}, {"event", "left"}, {"reason", "replaced"}});
  }
  log(LogLevel::Info, "broker", "node " + joined + " joined with " + std::to_string(slots) + " slots");
  outbox_.publish("node." + joined, json{{"node", joined}, {"event", "joined"}});
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
  for (const auto& function : session->functions) dirty_functions_.insert(function);
}

void Scheduler::done(const std::string& routing_id, const json& results) {
  NodeSession* session = nodes_.find(routing_id);
  if (!session) return;
  for (const auto& entry : results) finish_entry(*session, entry);
  for (const auto& function : session->functions) dirty_functions_.insert(function);
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
  if (!record || record->state != TaskState::Running || record->attempt != attempt_field->get<int>() ||
      !session.running.contains(*id)) {
    log(LogLevel::Info, "broker", "ignored a stale result for task " + format_task_id(*id));
    return;
  }
  session.running.erase(*id);
  --queues_[record->function].running;
  if (result != entry.end()) {
    finish(*record, TaskState::Succeeded, *result, nullptr);
  } else {
    finish(*record, TaskState::Failed, nullptr, task_error(*error, *id));
  }
  forget_queue_if_idle(record->function);
}

void Scheduler::progress(const std::string& routing_id, TaskId id, std::int64_t attempt, json progress) {
  NodeSession* session = nodes_.find(routing_id);
  TaskRecord* record = store_.find(id);
  if (!session || !record || record->state != TaskState::Running || record->attempt != attempt ||
      !session->running.contains(id)) {
    return;
  }
  record->progress = std::move(progress);
  store_.mark_changed(*record);
  if (!outbox_.has_any_subscriber()) return;
  std::string text = format_task_id(id);
  std::string topic = "task." + text;
  if (!outbox_.has_subscriber(topic)) return;
  outbox_.publish(topic, json{{"id", std::move(text)},
                              {"state", to_string(record->state)},
                              {"attempt", record->attempt},
                              {"progress", record->progress}});
}

void Scheduler::drop_node(const std::string& routing_id, std::string_view reason) {
  auto session = nodes_.remove(routing_id);
  if (!session) return;
  log(LogLevel::Info, "broker",
      "node " + session->name + " left (" + std::string(reason) + "), " + std::to_string(session->running.size()) +
          " task(s) back to the queue");
  requeue_all(*session);
  for (const auto& function : session->functions) forget_queue_if_idle(function);
  outbox_.publish("node." + session->name, json{{"node", session->name}, {"event", "left"}, {"reason", reason}});
}

void Scheduler::requeue_all(NodeSession& session) {
  std::vector<TaskId> held(session.running.begin(), session.running.end());
  std::sort(held.rbegin(), held.rend());  // pushed to the front newest first, so the oldest runs first
  for (TaskId id : held) {
    TaskRecord* record = store_.find(id);
    if (!record || record->state != TaskState::Running) continue;
    --queues_[record->function].running;
    set_state(*record, TaskState::Queued);
    record->node.clear();
    record->started_at = 0;
    record->progress = nullptr;
    store_.mark_changed(*record);
    enqueue(*record, true);
    publish_task(*record);
  }
  session.running.clear();
}

// ---------------------------------------------------------------- each turn

std::optional<TaskId> Scheduler::pop_queued(const std::string& function, FunctionQueue& queue) {
  while (!queue.ids.empty()) {
    TaskId id = queue.ids.front();
    queue.ids.pop_front();
    TaskRecord* record = store_.find(id);
    if (record && record->state == TaskState::Queued && record->function == function) return id;
  }
  return std::nullopt;
}

namespace {

constexpr std::string_view kRunPrefix = R"({"jsonrpc":"2.0","method":"node.run","params":{"tasks":[)";
constexpr std::string_view kRunSuffix = "]}}";

// Appends one task of a node.run as text: the params are serialized straight from
// the record, never copied into a temporary json.
void append_run_entry(std::string& out, const TaskRecord& record, const std::string& function_json) {
  out += R"({"id":")";
  out += format_task_id(record.id);
  out += R"(","function":)";
  out += function_json;
  out += R"(,"params":)";
  out += rpc::to_text(record.params);
  out += R"(,"attempt":)";
  out += std::to_string(record.attempt);
  out += '}';
}

}  // namespace

void Scheduler::dispatch() {
  // Half the message limit leaves room for the envelope and keeps the node's
  // parse of one message bounded.
  const std::size_t split_at = static_cast<std::size_t>(config_.max_message_bytes / 2);
  std::unordered_map<std::string, std::string> runs;  // routing id -> node.run text being built
  auto send_run = [&](const std::string& routing_id, std::string& text) {
    text += kRunSuffix;
    outbox_.send(Envelope::for_routing_id(routing_id), std::move(text));
    text.clear();
  };
  for (const std::string& function : dirty_functions_) {
    auto queue_it = queues_.find(function);
    if (queue_it == queues_.end() || queue_it->second.queued == 0) continue;
    FunctionQueue& queue = queue_it->second;
    const auto& serving = nodes_.serving(function);
    if (queue.function_json.empty()) queue.function_json = rpc::to_text(json(function));
    bool handed_out = true;
    while (queue.queued > 0 && handed_out) {
      handed_out = false;
      for (std::size_t i = 0; i < serving.size() && queue.queued > 0; ++i) {
        NodeSession* node = nodes_.find(serving[(queue.cursor + i) % serving.size()]);
        if (!node || node->credit() == 0) continue;
        auto id = pop_queued(function, queue);
        if (!id) {
          queue.queued = 0;
          break;
        }
        TaskRecord& record = *store_.find(*id);
        --queue.queued;
        ++queue.running;
        set_state(record, TaskState::Running);
        ++record.attempt;
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
        append_run_entry(text, record, queue.function_json);
        publish_task(record);
        handed_out = true;
      }
      ++queue.cursor;
    }
  }
  dirty_functions_.clear();
  for (auto& [routing_id, text] : runs) {
    if (!text.empty()) send_run(routing_id, text);
  }
}

void Scheduler::forget_queue_if_idle(const std::string& function) {
  // Queues of served functions stay (they come back at once); the others would
  // otherwise pile up, one per function name any client ever sent.
  auto it = queues_.find(function);
  if (it == queues_.end() || it->second.queued > 0 || it->second.running > 0) return;
  if (nodes_.serving(function).empty()) queues_.erase(it);
}

void Scheduler::shutdown() {
  rpc::Error stopping{rpc::kInternalError, "the broker is stopping", nullptr};
  for (auto& [id, waiters] : waiters_) {
    for (const Waiter& waiter : waiters) outbox_.reply_error(waiter.to, stopping);
  }
  waiters_.clear();
  wait_deadlines_.clear();
}

void Scheduler::tick(SteadyTime now) {
  expire_waits(now);
  if (now >= next_liveness_check_) {
    next_liveness_check_ = now + config_.heartbeat_interval;
    for (const auto& routing_id : nodes_.silent_since(now - config_.heartbeat_interval * config_.liveness)) {
      drop_node(routing_id, "timeout");
    }
    forget_finished(now);
  }
  if (now >= next_heartbeat_) {
    next_heartbeat_ = now + config_.heartbeat_interval;
    outbox_.publish("broker", json{{"event", "heartbeat"}, {"epoch", config_.epoch}, {"time", unix_time_ms()}});
  }
}

void Scheduler::expire_waits(SteadyTime now) {
  while (!wait_deadlines_.empty() && wait_deadlines_.begin()->first <= now) {
    auto [id, serial] = wait_deadlines_.begin()->second;
    wait_deadlines_.erase(wait_deadlines_.begin());
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    auto& list = it->second;
    auto waiter = std::find_if(list.begin(), list.end(), [&](const Waiter& w) { return w.serial == serial; });
    if (waiter == list.end()) continue;
    if (const TaskRecord* record = store_.find(id)) outbox_.reply_result(waiter->to, to_json(*record));
    list.erase(waiter);
    if (list.empty()) waiters_.erase(it);
  }
}

void Scheduler::forget_finished(SteadyTime now) {
  while (!finished_.empty() && now - finished_.front().first >= config_.keep_finished) {
    TaskId id = finished_.front().second;
    finished_.pop_front();
    if (TaskRecord* record = store_.find(id); record && is_final(record->state)) {
      --counts_[static_cast<std::size_t>(record->state)];
      store_.erase(id);
    }
  }
}

SteadyTime Scheduler::next_deadline() const {
  SteadyTime next = std::min(next_heartbeat_, next_liveness_check_);
  if (!wait_deadlines_.empty()) next = std::min(next, wait_deadlines_.begin()->first);
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
    running += session.running.size();
  }
  return json{{"epoch", config_.epoch},       {"version", zerotask::version()},
              {"uptime_ms", elapsed_ms(started_, now)}, {"store", store_.name()},
              {"tasks", tasks},               {"submitted", submitted_},
              {"nodes", nodes_.size()},       {"slots", slots},
              {"running", running}};
}

json Scheduler::functions() const {
  std::set<std::string> names;
  for (const auto& name : nodes_.functions()) names.insert(name);
  for (const auto& [name, queue] : queues_) {
    if (queue.queued > 0 || queue.running > 0) names.insert(name);
  }
  json list = json::array();
  for (const auto& name : names) {
    auto queue = queues_.find(name);
    list.push_back(json{{"name", name},
                        {"nodes", nodes_.serving(name).size()},
                        {"queued", queue == queues_.end() ? 0 : queue->second.queued},
                        {"running", queue == queues_.end() ? 0 : queue->second.running}});
  }
  return json{{"functions", list}};
}

json Scheduler::nodes(SteadyTime now) const {
  json list = json::array();
  for (const auto& [routing_id, session] : nodes_.sessions()) {
    list.push_back(json{{"name", session.name},
                        {"functions", session.functions},
                        {"slots", session.slots},
                        {"running", session.running.size()},
                        {"idle_ms", elapsed_ms(session.last_seen, now)}});
  }
  std::sort(list.begin(), list.end(), [](const json& a, const json& b) { return a["name"] < b["name"]; });
  return json{{"nodes", list}};
}

}  // namespace zerotask::broker

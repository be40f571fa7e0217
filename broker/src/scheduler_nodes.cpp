// Scheduler, nodes: hellos, heartbeats, results and progress under their lease
// tokens, cancels sent to nodes, and the leases lost with a node.
#include "scheduler.hpp"

#include <algorithm>

#include "task_errors.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/log.hpp"
#include "zerotask/rpc_error.hpp"

namespace zerotask::broker {

namespace {

// A node that says goodbye hands its tasks back; any other loss is a failed attempt.
bool counts_as_failure(std::string_view reason) {
  return reason != "bye";
}

bool fits_attempt(const json& attempt) {
  return attempt.is_number_integer() && rpc::fits_int(attempt);
}

}  // namespace

void Scheduler::cancel_running(TaskRecord& record, SteadyTime now) {
  if (record.cancel_requested) return;
  // A task recovered after a restart that its node has not reclaimed yet is asked
  // too, if a node of that name is back: it may run it still. Else the cancel waits
  // for the node to reclaim it, or for the end of its lease.
  record.cancel_requested = true;
  store_.mark_changed(record);
  if (const NodeSession* session = nodes_.find_by_name(record.node)) ask_node_to_cancel(*session, record, now);
  publish_task(record);
}

void Scheduler::ask_node_to_cancel(const NodeSession& session, const TaskRecord& record, SteadyTime now) {
  json body = {
      {"jsonrpc", "2.0"},
      {"method", "node.cancel"},
      {"params", {{"tasks", json::array({json{{"id", format_task_id(record.id)}, {"attempt", record.attempt}}})}}}};
  outbox_.notify(Envelope::for_routing_id(session.routing_id), rpc::to_text(body));
  cancel_deadlines_.emplace(now + config_.cancel_grace, LeaseToken{record.id, record.attempt});
}

json Scheduler::hello(const std::string& routing_id, std::string name, std::vector<FunctionSpec> functions,
                      std::size_t slots, const std::vector<LeaseToken>& running, SteadyTime now,
                      std::vector<std::string> queues, std::string key) {
  // A key takes over only the nodes it connected itself: another key could
  // otherwise take their leases and hand in their results.
  if (const NodeSession* same_name = nodes_.find_by_name(name); same_name && same_name->key != key) {
    throw RpcError(rpc::kUnauthorized, "node name '" + name + "' is taken by a node of another key ('" +
                                           same_name->key + "'): choose another name");
  }
  NodeSession session;
  session.routing_id = routing_id;
  session.name = std::move(name);
  session.key = std::move(key);
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
        record->node != added.name || !serves(added, record->function)) {
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
    lose_leases(old, "replaced", {});
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
  if (record.node == session.name && serves(session, record.function) && orphans_.erase(record.id) > 0) {
    session.adopted.insert(record.id);
    if (record.cancel_requested) ask_node_to_cancel(session, record, std::chrono::steady_clock::now());
    return true;
  }
  return false;
}

bool Scheduler::serves(const NodeSession& session, const std::string& function) {
  return std::find(session.functions.begin(), session.functions.end(), function) != session.functions.end();
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
  if (record->started_at > 0) run_times_.observe(unix_time_ms() - record->started_at);
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
  if (record.partials_bytes == 0 && !record.partials.is_null())
    record.partials_bytes = rpc::to_text(record.partials).size();
  const std::size_t size = rpc::to_text(partial).size() + 1;  // and its comma
  if (record.partials_bytes + size > config_.max_payload_bytes) {
    record.partials_truncated = true;
    log(LogLevel::Warn, "broker",
        "task " + format_task_id(record.id) +
            " streams more partial results than --max-payload-bytes; later ones are dropped");
    return std::nullopt;
  }
  if (record.partials.is_null()) record.partials = json::array();
  record.partials.push_back(std::move(partial));
  record.partials_bytes += size;
  return record.partials.size() - 1;
}

bool Scheduler::is_node(const std::string& routing_id) { return nodes_.find(routing_id) != nullptr; }

void Scheduler::drop_node(const std::string& routing_id, std::string_view reason, std::vector<TaskId> undelivered) {
  auto session = nodes_.remove(routing_id);
  if (!session) return;
  log(LogLevel::Info, "broker",
      "node " + session->name + " left (" + std::string(reason) + "), " +
          std::to_string(session->running.size() + session->adopted.size()) + " lease(s) lost");
  lose_leases(*session, reason, std::move(undelivered));
  for (const auto& queue : session->queues) {
    for (const auto& function : session->functions) forget_lane_if_idle(queue, function);
  }
  outbox_.publish("node." + session->name, json{{"node", session->name}, {"event", "left"}, {"reason", reason}});
}

void Scheduler::lose_leases(NodeSession& session, std::string_view reason, std::vector<TaskId> undelivered) {
  std::sort(undelivered.begin(), undelivered.end());
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
    const bool started = !std::binary_search(undelivered.begin(), undelivered.end(), id);
    lease_lost(*record, node_lost_error(session.name, reason, id), started && counts_as_failure(reason));
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

}  // namespace zerotask::broker

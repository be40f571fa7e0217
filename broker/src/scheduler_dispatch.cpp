// Scheduler, hand-outs: queued tasks to nodes with free slots, by priority, within
// the functions' rate and concurrency limits, one node.run message per node.
#include "scheduler.hpp"

#include "zerotask/clock.hpp"

namespace zerotask::broker {

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

void Scheduler::dispatch() {
  // A hand-out that cannot be stored is not made; the lanes are looked at again
  // once the store writes (set_store_available).
  if (!store_available_) return;
  // Half the message limit leaves room for the envelope and keeps the node's
  // parse of one message bounded.
  const std::size_t split_at = static_cast<std::size_t>(config_.max_message_bytes / 2);
  struct Run {
    std::string text;  // the node.run being built
    std::vector<TaskId> tasks;
  };
  std::unordered_map<std::string, Run> runs;  // by routing id
  auto send_run = [&](const std::string& routing_id, Run& run) {
    run.text += kRunSuffix;
    outbox_.hand_out(Envelope::for_routing_id(routing_id), std::move(run.text), std::move(run.tasks));
    run.text.clear();
    run.tasks.clear();
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
    if (auto token = limits_.next_token(lane.function, now)) {
      auto [pending, fresh] = limit_wakeup_of_.try_emplace(lane.function, *token);
      if (fresh || *token < pending->second) {
        pending->second = *token;
        limit_wakeups_.emplace(*token, lane.function);
      }
    }
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
          Run& run = runs[node->routing_id];
          if (!run.text.empty() && run.text.size() >= split_at) send_run(node->routing_id, run);
          if (run.text.empty()) {
            run.text = kRunPrefix;
          } else {
            run.text += ',';
          }
          append_run_entry(run.text, record, lane->function_json, timeout_of(record));
          run.tasks.push_back(*id);
          publish_task(record);
          handed_out = true;
        }
        ++lane->cursor;
      }
    }
  }
  for (auto& [routing_id, run] : runs) {
    if (!run.text.empty()) send_run(routing_id, run);
  }
}

void Scheduler::forget_lane_if_idle(const std::string& queue, const std::string& function) {
  // Lanes of served functions stay (they come back at once); the others would
  // otherwise pile up, one per name any client ever sent.
  if (nodes_.serving(queue, function).empty()) ready_.erase_if_empty(lane_key(queue, function));
}

}  // namespace zerotask::broker

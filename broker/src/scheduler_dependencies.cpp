// Scheduler, dependencies and unique tasks: tasks waiting for other tasks (PENDING
// until they end, then their results passed on or the task cancelled), the final
// tasks kept while someone still needs them (pins), and deduplication of unique
// tasks.
#include "scheduler.hpp"

#include <functional>

#include "task_errors.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/rpc_error.hpp"

namespace zerotask::broker {

namespace {

std::size_t unique_hash(std::string_view function, std::string_view queue, std::string_view params_json) {
  std::string key = lane_key(queue, function);
  key += params_json;
  return std::hash<std::string>{}(key);
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

}  // namespace

void Scheduler::check_dependencies(const std::vector<TaskId>& ids) {
  for (TaskId id : ids) {
    if (!store_.find(id)) {
      throw RpcError(rpc::kInvalidParams, "depends_on: no task " + format_task_id(id) + " (unknown, or forgotten)");
    }
  }
}

const TaskRecord* Scheduler::live_unique_twin(const std::string& function, const std::string& queue,
                                              const std::string& params_json) {
  auto [begin, end] = unique_tasks_.equal_range(unique_hash(function, queue, params_json));
  for (auto it = begin; it != end; ++it) {
    const TaskRecord* twin = store_.find(it->second);
    if (twin && !is_final(twin->state) && twin->function == function && twin->queue == queue &&
        twin->params_json == params_json) {
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
  TaskId failed_id = 0;
  std::string cause_state;
  for (TaskId id : record.depends_on) {
    const TaskRecord* dependency = store_.find(id);
    if (dependency && dependency->state == TaskState::Succeeded) {
      results.push_back(dependency->result);
      continue;
    }
    results.push_back(nullptr);
    if (failed_id == 0) {
      failed_id = id;
      cause_state = dependency ? std::string(to_string(dependency->state)) : "forgotten";
    }
  }
  // May forget the dependencies (their time ran out while this task needed them):
  // nothing of them is used after this.
  unpin_dependencies_of(record.id);
  if (failed_id != 0 && record.on_dependency_failure == DependencyFailure::Cancel) {
    std::string text = format_task_id(record.id);
    std::string cause = format_task_id(failed_id);
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
  due_.emplace(steady_time_of(record.run_at, std::chrono::steady_clock::now(), unix_now), record.id);
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

}  // namespace zerotask::broker

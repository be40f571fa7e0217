#include "ready_queues.hpp"

#include "zerotask/json_rpc.hpp"

namespace zerotask::broker {

std::string lane_key(std::string_view queue, std::string_view function) {
  std::string key = std::to_string(queue.size());
  key += ':';
  key += queue;
  key += function;
  return key;
}

Lane& ReadyQueues::push(const TaskRecord& record, bool at_front) {
  auto [it, created] = lanes_.try_emplace(lane_key(record.queue, record.function));
  Lane& lane = it->second;
  if (created) {
    lane.queue = record.queue;
    lane.function = record.function;
    lane.function_json = rpc::to_text(json(record.function));
  }
  auto& ids = lane.by_priority[static_cast<std::size_t>(record.priority)];
  if (at_front) {
    ids.push_front(record.id);
  } else {
    ids.push_back(record.id);
  }
  ++lane.queued;
  return lane;
}

std::optional<TaskId> ReadyQueues::pop(Lane& lane, int priority, const std::function<bool(TaskId)>& is_queued) {
  auto& ids = lane.by_priority[static_cast<std::size_t>(priority)];
  while (!ids.empty()) {
    TaskId id = ids.front();
    ids.pop_front();
    if (is_queued(id)) {
      --lane.queued;
      return id;
    }
  }
  return std::nullopt;
}

void ReadyQueues::removed(const TaskRecord& record) {
  if (Lane* lane = find(lane_key(record.queue, record.function)); lane && lane->queued > 0) --lane->queued;
}

Lane* ReadyQueues::find(const std::string& key) {
  auto it = lanes_.find(key);
  return it == lanes_.end() ? nullptr : &it->second;
}

void ReadyQueues::erase_if_empty(const std::string& key) {
  auto it = lanes_.find(key);
  if (it != lanes_.end() && it->second.queued == 0) lanes_.erase(it);
}

std::size_t ReadyQueues::queued(std::string_view function) const {
  std::size_t total = 0;
  for (const auto& [key, lane] : lanes_) {
    if (lane.function == function) total += lane.queued;
  }
  return total;
}

}  // namespace zerotask::broker

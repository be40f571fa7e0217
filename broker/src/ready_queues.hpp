// ReadyQueues: the QUEUED tasks waiting for a node, in lanes: one per named queue
// and function, each ordered by priority (higher first), then by the order tasks
// were queued. Holds ids only; an id whose task is no longer QUEUED (cancelled
// meanwhile) is skipped when reached. Loop thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/task_record.hpp"

namespace zerotask::broker {

// The key of a (queue, function) pair; unambiguous whatever bytes the names hold.
std::string lane_key(std::string_view queue, std::string_view function);

struct Lane {
  std::string queue;
  std::string function;
  std::string function_json;  // the function name as a JSON string, for node.run
  std::array<std::deque<TaskId>, kMaxPriority + 1> by_priority;
  std::size_t queued = 0;  // QUEUED tasks in this lane (the deques may hold stale ids too)
  std::size_t cursor = 0;  // round-robin position among the nodes serving the lane
};

class ReadyQueues {
 public:
  // Adds a QUEUED task to its lane: at the front of its priority (it ran before and
  // goes ahead of newer work) or at the back.
  Lane& push(const TaskRecord& record, bool at_front);
  // The next task of `lane` at `priority` for which `is_queued` holds; stale ids
  // before it are dropped.
  std::optional<TaskId> pop(Lane& lane, int priority, const std::function<bool(TaskId)>& is_queued);
  // A QUEUED task left its lane other than by pop() (cancelled).
  void removed(const TaskRecord& record);
  Lane* find(const std::string& key);
  // Drops the lane (and the stale ids it may hold) when no task in it is queued.
  void erase_if_empty(const std::string& key);
  std::size_t queued(std::string_view function) const;
  // When the longest-waiting QUEUED task of `lane` was queued, or nullopt when none
  // is. `queued_record(id)` gives the record of a QUEUED task, else nullptr; ids of
  // tasks no longer queued are dropped from the heads on the way. Within a
  // priority, tasks pushed at the back are in the order they were queued, so only
  // the ones pushed at the front and the first of the others are looked at.
  template <class Find>
  std::optional<std::chrono::steady_clock::time_point> oldest(Lane& lane, Find&& queued_record) {
    std::optional<std::chrono::steady_clock::time_point> oldest;
    for (auto& ids : lane.by_priority) {
      while (!ids.empty() && !queued_record(ids.front())) ids.pop_front();
      for (TaskId id : ids) {
        const TaskRecord* record = queued_record(id);
        if (!record) continue;
        if (!oldest || record->queued_at < *oldest) oldest = record->queued_at;
        if (!record->queued_at_front) break;
      }
    }
    return oldest;
  }
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (const auto& [key, lane] : lanes_) visit(lane);
  }
  template <class Visit>
  void for_each(Visit&& visit) {
    for (auto& [key, lane] : lanes_) visit(lane);
  }

 private:
  std::unordered_map<std::string, Lane> lanes_;
};

}  // namespace zerotask::broker

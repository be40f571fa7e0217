// TaskStore: where task records live. The Scheduler creates, finds and changes
// records only through this interface, and calls commit() once per loop turn
// before any reply or event that depends on the turn's changes goes out (group
// commit). Called from the broker's loop thread only.
//
// The memory store (memory_task_store.hpp) is the only implementation of this
// version; a durable one slots in behind the same calls.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "task_record.hpp"

namespace zerotask::broker {

struct TaskQuery {
  std::optional<TaskState> state;
  std::optional<std::string> function;
  std::size_t offset = 0;
  std::size_t limit = 100;
};

struct TaskPage {
  std::vector<const TaskRecord*> tasks;  // oldest first; valid until the next change
  std::size_t total = 0;                 // tasks matching the query, before paging
};

class TaskStore {
 public:
  virtual ~TaskStore() = default;

  virtual std::string_view name() const = 0;
  // Adds a new task and returns the stored record.
  virtual TaskRecord& insert(TaskRecord record) = 0;
  // The record, or nullptr if unknown. The pointer stays valid until erase(id).
  virtual TaskRecord* find(TaskId id) = 0;
  // Records that `record` (obtained from insert or find) was changed in place.
  virtual void mark_changed(const TaskRecord& record) = 0;
  virtual void erase(TaskId id) = 0;
  virtual TaskPage list(const TaskQuery& query) const = 0;
  // Makes every change since the last commit durable. False on failure.
  virtual bool commit() = 0;
  virtual std::size_t size() const = 0;
};

}  // namespace zerotask::broker

// TaskStore: where task records live. The Scheduler creates, finds and changes
// records only through this interface, and calls commit() once per loop turn
// before any reply or event that depends on the turn's changes goes out (group
// commit). Called from the broker's loop thread only.
//
// It also keeps the periodic schedules (schedule.add), written in the same commits.
//
// Two implementations: the memory store (memory_task_store.hpp, `--store memory`)
// and the durable SQLite store (sqlite_task_store.hpp, the default).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/task_record.hpp"

namespace zerotask::broker {

// A periodic schedule as stored: its definition (the schedule object of
// docs/PROTOCOL.md, schedule.add, as JSON text) and its timer.
struct ScheduleRecord {
  std::string name;
  std::string definition_json;
  std::int64_t next_run_at = 0;  // ms since the Unix epoch
  std::int64_t last_run_at = 0;  // 0: never fired
  TaskId last_task = 0;
};

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
  // Makes every change since the last commit durable. False on failure (a full
  // disk, an I/O error): the changes stay pending and the next commit tries again;
  // last_error() says what failed.
  virtual bool commit() = 0;
  virtual const std::string& last_error() const = 0;
  virtual std::size_t size() const = 0;
  // Every record, in no particular order (recovery after a restart).
  virtual void for_each(const std::function<void(TaskRecord&)>& visit) = 0;

  // Adds or replaces the schedule of that name; written at the next commit.
  virtual void put_schedule(const ScheduleRecord& schedule) = 0;
  virtual void erase_schedule(const std::string& name) = 0;
  // Every stored schedule (recovery after a restart).
  virtual std::vector<ScheduleRecord> schedules() const = 0;
};

}  // namespace zerotask::broker

// TaskStore: where task records live. The Scheduler creates, finds and changes
// records only through this interface, and calls commit() once per loop turn
// before any reply or event that depends on the turn's changes goes out (group
// commit). Called from the broker's loop thread only.
//
// It also keeps settings, small JSON documents by key (periodic schedules, function
// limits), written in the same commits.
//
// Two implementations: the memory store (memory_task_store.hpp, `--store memory`)
// and the durable SQLite store (sqlite_task_store.hpp, the default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/task_record.hpp"

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
  // Makes every change since the last commit durable. False on failure (a full
  // disk, an I/O error): the changes stay pending and the next commit tries again;
  // last_error() says what failed.
  virtual bool commit() = 0;
  // Whether anything was changed since commit() was last called, whatever it
  // returned: whether what the current turn is about to send may depend on changes
  // that its commit did not store.
  virtual bool changed_since_commit() const = 0;
  virtual const std::string& last_error() const = 0;
  virtual std::size_t size() const = 0;
  // The bytes the store takes, when it knows them cheaply (the SQLite store: its
  // pages); nullopt otherwise.
  virtual std::optional<std::int64_t> size_bytes() = 0;
  // Every record, in no particular order (recovery after a restart).
  virtual void for_each(const std::function<void(TaskRecord&)>& visit) = 0;

  // Adds or replaces the setting `key` (JSON text); written at the next commit.
  virtual void put_setting(const std::string& key, std::string value_json) = 0;
  virtual void erase_setting(const std::string& key) = 0;
  // The settings whose key starts with `prefix`, as (key, JSON text), by key.
  virtual std::vector<std::pair<std::string, std::string>> settings(std::string_view prefix) const = 0;
};

}  // namespace zerotask::broker

// SqliteTaskStore: the durable store (the default). Every record lives in memory,
// as in the memory store, and in one SQLite table in WAL mode; commit() writes the
// records changed since the last commit in one transaction (group commit). Opening
// a store loads every task it holds, so a restarted broker has them all back.
//
// The connection is opened in exclusive locking mode: a second broker on the same
// file is refused instead of sharing it. Loop thread only.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>

#include "store/memory_task_store.hpp"
#include "store/sqlite.hpp"
#include "store/task_store.hpp"
#include "zerotask/broker.hpp"

namespace zerotask::broker {

// The schema version this broker reads and writes (PRAGMA user_version); a store of
// version 1, 2 or 3 is upgraded in place when opened.
inline constexpr int kStoreSchemaVersion = 4;

class SqliteTaskStore final : public TaskStore {
 public:
  // Opens or creates the store at `path`. Throws std::runtime_error with a message
  // for the operator: not a zerotask store, an unknown schema version, in use by
  // another broker, unreadable.
  SqliteTaskStore(const std::string& path, StoreSync sync);
  ~SqliteTaskStore() override;

  std::string_view name() const override { return "sqlite"; }
  TaskRecord& insert(TaskRecord record) override;
  TaskRecord* find(TaskId id) override { return records_.find(id); }
  void mark_changed(const TaskRecord& record) override;
  void erase(TaskId id) override;
  TaskPage list(const TaskQuery& query) const override { return records_.list(query); }
  bool commit() override;
  bool changed_since_commit() const override { return records_.changed_since_commit(); }
  const std::string& last_error() const override { return last_error_; }
  std::size_t size() const override { return records_.size(); }
  std::optional<std::int64_t> size_bytes() override;
  void for_each(const std::function<void(TaskRecord&)>& visit) override { records_.for_each(visit); }
  void put_setting(const std::string& key, std::string value_json) override;
  void erase_setting(const std::string& key) override;
  std::vector<std::pair<std::string, std::string>> settings(std::string_view prefix) const override {
    return records_.settings(prefix);
  }

 private:
  struct Statements;

  void open_schema(const std::string& path);
  void load();
  void write_pending();
  void write_settings();

  sqlite::Database db_;
  std::unique_ptr<Statements> statements_;
  MemoryTaskStore records_;
  // Changes not committed yet: new records (written whole), changed ones (their
  // mutable columns) and erased ones.
  std::unordered_set<TaskId> inserted_;
  std::unordered_set<TaskId> changed_;
  std::unordered_set<TaskId> erased_;
  std::unordered_set<std::string> settings_changed_;  // put or erased since the last commit
  std::string last_error_;
};

}  // namespace zerotask::broker

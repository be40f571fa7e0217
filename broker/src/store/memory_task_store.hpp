// MemoryTaskStore: task records in a hash table, gone when the process ends
// (`--store memory`). Records are changed in place, so mark_changed() and commit()
// have nothing to write. Loop thread only.
#pragma once

#include <map>
#include <unordered_map>

#include "store/task_store.hpp"

namespace zerotask::broker {

class MemoryTaskStore final : public TaskStore {
 public:
  std::string_view name() const override { return "memory"; }
  TaskRecord& insert(TaskRecord record) override;
  TaskRecord* find(TaskId id) override;
  void mark_changed(const TaskRecord&) override { changed_ = true; }
  void erase(TaskId id) override {
    records_.erase(id);
    changed_ = true;
  }
  TaskPage list(const TaskQuery& query) const override;
  bool commit() override {
    changed_ = false;
    return true;
  }
  bool changed_since_commit() const override { return changed_; }
  const std::string& last_error() const override { return no_error_; }
  std::size_t size() const override { return records_.size(); }
  std::optional<std::int64_t> size_bytes() override { return std::nullopt; }
  void for_each(const std::function<void(TaskRecord&)>& visit) override;
  void put_setting(const std::string& key, std::string value_json) override {
    settings_.insert_or_assign(key, std::move(value_json));
    changed_ = true;
  }
  void erase_setting(const std::string& key) override {
    settings_.erase(key);
    changed_ = true;
  }
  std::vector<std::pair<std::string, std::string>> settings(std::string_view prefix) const override;
  // The setting's JSON text, or nullptr.
  const std::string* setting(const std::string& key) const;

 private:
  std::unordered_map<TaskId, TaskRecord> records_;
  std::map<std::string, std::string, std::less<>> settings_;
  const std::string no_error_;
  bool changed_ = false;
};

}  // namespace zerotask::broker

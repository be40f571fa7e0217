#include "store/memory_task_store.hpp"

#include <algorithm>

namespace zerotask::broker {

TaskRecord& MemoryTaskStore::insert(TaskRecord record) {
  TaskId id = record.id;
  changed_ = true;
  return records_.insert_or_assign(id, std::move(record)).first->second;
}

TaskRecord* MemoryTaskStore::find(TaskId id) {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

void MemoryTaskStore::for_each(const std::function<void(TaskRecord&)>& visit) {
  for (auto& [id, record] : records_) visit(record);
}

std::vector<std::pair<std::string, std::string>> MemoryTaskStore::settings(std::string_view prefix) const {
  std::vector<std::pair<std::string, std::string>> found;
  for (auto it = settings_.lower_bound(prefix); it != settings_.end() && it->first.starts_with(prefix); ++it) {
    found.emplace_back(it->first, it->second);
  }
  return found;
}

const std::string* MemoryTaskStore::setting(const std::string& key) const {
  auto it = settings_.find(key);
  return it == settings_.end() ? nullptr : &it->second;
}

TaskPage MemoryTaskStore::list(const TaskQuery& query) const {
  std::vector<const TaskRecord*> matching;
  for (const auto& [id, record] : records_) {
    if (query.state && record.state != *query.state) continue;
    if (query.function && record.function != *query.function) continue;
    matching.push_back(&record);
  }
  TaskPage page;
  page.total = matching.size();
  std::size_t first = std::min(query.offset, matching.size());
  std::size_t last = std::min(first + query.limit, matching.size());
  std::partial_sort(matching.begin(), matching.begin() + static_cast<std::ptrdiff_t>(last), matching.end(),
                    [](const TaskRecord* a, const TaskRecord* b) { return a->id < b->id; });
  page.tasks.assign(matching.begin() + static_cast<std::ptrdiff_t>(first),
                    matching.begin() + static_cast<std::ptrdiff_t>(last));
  return page;
}

}  // namespace zerotask::broker

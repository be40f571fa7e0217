#include "zerotask/group_future.hpp"

#include <algorithm>
#include <utility>

#include "connection.hpp"

namespace zerotask {

GroupFuture::GroupFuture(std::vector<TaskFuture> futures) : futures_(std::move(futures)) {}

std::vector<std::string> GroupFuture::ids() const {
  std::vector<std::string> ids;
  ids.reserve(futures_.size());
  for (const TaskFuture& future : futures_) ids.push_back(future.id());
  return ids;
}

bool GroupFuture::wait(std::chrono::milliseconds timeout) const {
  const detail::Clock::time_point deadline = detail::deadline_after(detail::Clock::now(), timeout);
  for (const TaskFuture& future : futures_) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - detail::Clock::now());
    if (!future.wait(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

json GroupFuture::results() const {
  json results = json::array();
  for (const TaskFuture& future : futures_) results.push_back(future.result());
  return results;
}

}  // namespace zerotask

// TaskContext's conventional progress, built once here for every implementation.
#include <utility>

#include "zerotask/node.hpp"

namespace zerotask {

void TaskContext::report_progress(std::int64_t done, std::int64_t total, std::string message) {
  json progress{{"done", done}, {"total", total}};
  if (!message.empty()) progress["message"] = std::move(message);
  report_progress(std::move(progress));
}

}  // namespace zerotask

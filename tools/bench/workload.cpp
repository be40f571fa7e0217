#include "workload.hpp"

namespace zerotask::bench {
namespace {

std::string request_head(std::uint64_t id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + ",";
}

}  // namespace

std::string noop_call(std::uint64_t id) {
  return request_head(id) + R"("method":")" + std::string(kNoopFunction) + R"(","params":[]})";
}

std::string_view noop_notification() {
  static const std::string text = R"({"jsonrpc":"2.0","method":")" + std::string(kNoopFunction) + R"(","params":[]})";
  return text;
}

std::string queue_batch(std::uint64_t id, std::size_t count) {
  std::string task =
      R"({"function":")" + std::string(kQueuedFunction) + R"(","params":)" + std::string(kQueuedParams) + "}";
  std::string text = request_head(id) + R"("method":"task.submit_many","params":{"tasks":[)";
  text.reserve(text.size() + count * (task.size() + 1) + 4);
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) text += ',';
    text += task;
  }
  return text + "]}}";
}

std::string cancel_task(std::uint64_t id, std::string_view task_id) {
  return request_head(id) + R"("method":"task.cancel","params":{"id":")" + std::string(task_id) + R"("}})";
}

}  // namespace zerotask::bench

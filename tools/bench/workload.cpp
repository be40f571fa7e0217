#include "workload.hpp"

#include <algorithm>

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

std::size_t queue_batch_count(std::size_t tasks) {
  return (tasks + kQueueBatchTasks - 1) / kQueueBatchTasks;
}

std::string queue_batch_number(std::uint64_t k, std::size_t total_tasks) {
  return queue_batch(k, std::min(kQueueBatchTasks, total_tasks - k * kQueueBatchTasks));
}

std::string cancel_task(std::uint64_t id, std::string_view task_id) {
  return request_head(id) + R"("method":"task.cancel","params":{"id":")" + std::string(task_id) + R"("}})";
}

std::string chain_entries(bool linked) {
  std::string add(kAddFunction);
  std::string multiply(kMultiplyFunction);
  if (linked) {
    return R"([{"function":")" + add + R"(","params":[1,2]},)" +                                               //
           R"({"function":")" + multiply + R"(","params":[10],"depends_on":[0],"pass_results":"prepend"},)" +  //
           R"({"function":")" + add + R"(","params":[5],"depends_on":[1],"pass_results":"prepend"}])";
  }
  return R"([{"function":")" + add + R"(","params":[1,2]},)" +       //
         R"({"function":")" + multiply + R"(","params":[3,10]},)" +  //
         R"({"function":")" + add + R"(","params":[30,5]}])";
}

std::string group_entries(std::size_t size) {
  std::string text = "[";
  for (std::size_t k = 0; k < size; ++k) {
    if (k > 0) text += ',';
    text += R"({"function":")" + std::string(kAddFunction) + R"(","params":[)" + std::to_string(k) + ",1]}";
  }
  return text + "]";
}

std::string chord_entries(std::size_t size, bool linked) {
  std::string text = group_entries(size);
  text.pop_back();  // the group's closing bracket
  text += R"(,{"function":")" + std::string(kSumFunction) + R"(","params":)";
  std::string list;
  for (std::size_t k = 0; k < size; ++k) {
    if (k > 0) list += ',';
    list += std::to_string(linked ? k : k + 1);
  }
  if (linked) return text + R"([],"depends_on":[)" + list + R"(],"pass_results":"list"}])";
  return text + "[[" + list + "]]}]";
}

std::string submit_many(std::uint64_t id, std::string_view entries) {
  return request_head(id) + R"("method":"task.submit_many","params":{"tasks":)" + std::string(entries) + "}}";
}

std::string wait_task(std::uint64_t id, std::string_view task_id, std::uint64_t timeout_ms) {
  return request_head(id) + R"("method":"task.wait","params":{"id":")" + std::string(task_id) + R"(","timeout_ms":)" +
         std::to_string(timeout_ms) + "}}";
}

std::string add_call(std::uint64_t id, std::int64_t a, std::int64_t b) {
  return request_head(id) + R"("method":")" + std::string(kAddFunction) + R"(","params":[)" + std::to_string(a) + "," +
         std::to_string(b) + "]}";
}

}  // namespace zerotask::bench

#include "task_errors.hpp"

#include "zerotask/rpc_error.hpp"

namespace zerotask::broker {

rpc::Error error_from_json(const json& error) {
  return rpc::parse_error_object(error).value_or(rpc::Error{rpc::kTaskFailed, "task failed", nullptr});
}

json task_error(const json& reported, TaskId id) {
  rpc::Error error = error_from_json(reported);
  if (error.data.is_null()) error.data = json::object();
  if (error.data.is_object()) error.data["task"] = format_task_id(id);
  return error.to_json();
}

json node_lost_error(const std::string& node, std::string_view reason, TaskId id) {
  return rpc::Error{rpc::kTaskFailed, "the node running the task was lost (" + std::string(reason) + ")",
                    json{{"type", "zerotask::NodeLost"}, {"node", node}, {"task", format_task_id(id)}}}
      .to_json();
}

json cancelled_error(TaskId id) {
  std::string text = format_task_id(id);
  return rpc::Error{rpc::kCancelled, "task " + text + " was cancelled", json{{"task", text}}}.to_json();
}

}  // namespace zerotask::broker

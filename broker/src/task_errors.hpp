// The errors the broker gives tasks (the error member of a task object,
// docs/PROTOCOL.md section 2): built in one place so every path says the same.
#pragma once

#include <string>
#include <string_view>

#include "zerotask/json_rpc.hpp"
#include "zerotask/task_id.hpp"

namespace zerotask::broker {

// A stored error object as an rpc::Error (a generic task_failed when unreadable).
rpc::Error error_from_json(const json& error);
// The error a node reported, with the task id added to its data.
json task_error(const json& reported, TaskId id);
// The error of an attempt whose lease was lost with its node.
json node_lost_error(const std::string& node, std::string_view reason, TaskId id);
// The error of a task cancelled by task.cancel.
json cancelled_error(TaskId id);

}  // namespace zerotask::broker

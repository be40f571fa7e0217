// Task specs: the params of task.submit (and each entry of task.submit_many) read
// into a NewTask, every field checked against docs/PROTOCOL.md, section 4; and the
// order a batch's tasks are made in when they depend on each other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "scheduler.hpp"
#include "zerotask/json_rpc.hpp"

namespace zerotask::broker {

struct TaskSpec {
  NewTask task;
  // task.submit_many only: the entries of the same batch this one depends on, by
  // index, with their place in task.depends_on, which holds 0 there until the
  // entry is made and has its id.
  struct BatchDependency {
    std::size_t position = 0;
    std::size_t index = 0;
  };
  std::vector<BatchDependency> batch_dependencies;
  // The ids in task.depends_on that name tasks made earlier (not 0 placeholders).
  std::vector<TaskId> existing_dependencies() const;
};

// Reads one spec; `batch_size` is the size of its task.submit_many batch (0 for a
// task.submit, where depends_on takes ids only). Moves the params out of `spec`.
// Throws RpcError(invalid_params) naming the bad field, also for a field that is
// neither a task's nor one of `caller_fields` (those the caller reads itself, such
// as task.submit's wait), so that a misspelt option is never silently dropped.
TaskSpec read_task_spec(json& spec, std::size_t batch_size, std::int64_t unix_now,
                        std::span<const std::string_view> caller_fields = {});

// The indexes of `specs` in an order where each comes after the entries it depends
// on (else in the order given). Throws RpcError(invalid_params) for a cycle.
std::vector<std::size_t> creation_order(const std::vector<TaskSpec>& specs);

// Shared checks of fields that appear in specs and in node.hello.
void check_name(std::string_view name, std::string_view what);
// A function name: check_name, and outside the reserved namespaces, whose methods
// a call could never reach.
void check_function_name(std::string_view name, std::string_view what);
std::optional<int> optional_max_retries(const json& object);
std::int64_t optional_timeout_ms(const json& object);

}  // namespace zerotask::broker

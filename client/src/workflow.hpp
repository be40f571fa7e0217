// The task.submit_many entries of the Client's workflows (chain, group, chord):
// pure functions over TaskSpec values. A linked task names the entries it depends
// on by their index in the batch. They throw std::invalid_argument as the Client's
// chain(), group() and chord() document.
#pragma once

#include <vector>

#include "zerotask/json_rpc.hpp"
#include "zerotask/task_spec.hpp"

namespace zerotask::detail {

json chain_entries(std::vector<TaskSpec> steps);
json group_entries(std::vector<TaskSpec> members);
// The header's entries, then the body's.
json chord_entries(std::vector<TaskSpec> header, TaskSpec body);

}  // namespace zerotask::detail

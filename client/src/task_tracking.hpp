// How a TaskFuture follows its task over the protocol: task.submit (or one entry of
// a task.submit_many), then task.wait long polls, sent again while the task is not
// final, until the future can be completed. Started from any thread; the follow-up
// runs in completions on the Client's I/O thread.
#pragma once

#include <memory>
#include <vector>

#include "connection.hpp"
#include "future_state.hpp"

namespace zerotask::detail {

// Sends task.submit with `submit_params`; on the acknowledgement, gives `state` its
// id and follows the task.
void submit_task(Connection& connection, std::shared_ptr<FutureState> state, json submit_params);

// Sends task.submit_many with `entries`, one per state in the same order; on the
// acknowledgement, gives each state its id and follows its task.
void submit_tasks(Connection& connection, std::vector<std::shared_ptr<FutureState>> states, json entries);

// Follows the task of an acknowledged `state` until it is final.
void follow_task(Connection& connection, std::shared_ptr<FutureState> state);

}  // namespace zerotask::detail

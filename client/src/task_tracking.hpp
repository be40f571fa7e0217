// How a TaskFuture follows its task over the protocol: task.submit, then task.wait
// long polls, sent again while the task is not final, until the future can be
// completed. Started from any thread; the follow-up runs in completions on the
// Client's I/O thread.
#pragma once

#include <memory>

#include "connection.hpp"
#include "future_state.hpp"

namespace zerotask::detail {

// Sends task.submit with `submit_params`; on the acknowledgement, gives `state` its
// id and follows the task.
void submit_task(Connection& connection, std::shared_ptr<FutureState> state, json submit_params);

// Follows the task of an acknowledged `state` until it is final.
void follow_task(Connection& connection, std::shared_ptr<FutureState> state);

}  // namespace zerotask::detail

// zerotask::TaskFuture: a handle on one submitted task. Copies share the same task.
// All member functions are thread-safe. Valid as long as the Client that made it
// (a future used after its Client is destroyed throws BrokerUnreachable).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "zerotask/json_rpc.hpp"
#include "zerotask/task_state.hpp"

namespace zerotask {

namespace detail {
class FutureState;
}

class TaskFuture {
 public:
  explicit TaskFuture(std::shared_ptr<detail::FutureState> state);

  // The task id; blocks until the broker has acknowledged the submission and throws
  // (ProtocolError, BrokerUnreachable) if it refused it.
  const std::string& id() const;
  // Asks the broker for the task's current state (a final state, once known, is
  // not asked again: it cannot change).
  TaskState status() const;
  // Blocks until the future has its outcome or `timeout` passes; true if it has.
  // The outcome is the task's end, or the reason it can no longer be followed
  // (refused, unknown task, broker unreachable, client closed).
  bool wait(std::chrono::milliseconds timeout) const;
  // Blocks until the outcome and returns the result; throws TaskFailed or
  // Cancelled for a task that did not succeed, ProtocolError or BrokerUnreachable
  // when it could not be followed.
  json result() const;
  // Cancels the task: one that has not started (QUEUED or PENDING) is CANCELLED at
  // once; for a RUNNING one the broker asks its node to stop it, and the task is
  // CANCELLED when the node reports or after the broker's --cancel-grace-ms. Either
  // way the future then ends with Cancelled. Throws ProtocolError(kNotCancellable)
  // for a task already final.
  void cancel() const;
  // `callback` runs on the client's I/O thread for every progress report published
  // for this task from now on (by convention {"done": n, "total": N, "message":
  // "..."}); keep it short. Events are hints: a report may be missed.
  void on_progress(std::function<void(const json& progress)> callback) const;
  // `callback` runs on the client's I/O thread for each partial result the task
  // streams from now on, with its 0-based index: in index order, each index at
  // most once. Partial results whose events were missed (published before the
  // subscription took effect, or dropped) but that come after the last one
  // delivered are delivered from the final task before the future completes; one
  // missed between two delivered ones is skipped. Keep it short.
  void on_partial(std::function<void(const json& partial, std::size_t index)> callback) const;
  // A std::shared_future that becomes ready with the result (or the exception).
  std::shared_future<json> as_std_future() const;

 private:
  std::shared_ptr<detail::FutureState> state_;
};

}  // namespace zerotask

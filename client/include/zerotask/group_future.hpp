// zerotask::GroupFuture: the futures of the tasks of one Client::group, in the
// order they were given. Copies share the same tasks; all member functions are
// thread-safe, and valid as long as the Client that made it (like TaskFuture).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "zerotask/json_rpc.hpp"
#include "zerotask/task_future.hpp"

namespace zerotask {

class GroupFuture {
 public:
  explicit GroupFuture(std::vector<TaskFuture> futures);

  // The task ids; blocks until the broker has acknowledged the group and throws
  // (ProtocolError, BrokerUnreachable) if it refused it.
  std::vector<std::string> ids() const;
  // Blocks until every task's future has its outcome or `timeout` passes; true if
  // they all have.
  bool wait(std::chrono::milliseconds timeout) const;
  // Blocks until the outcomes and returns the results as a JSON array in the
  // group's order. Waits for the tasks in that order and throws the error of the
  // first that did not succeed (TaskFailed, Cancelled...: what its
  // TaskFuture::result() throws), without waiting for the later ones.
  json results() const;
  const std::vector<TaskFuture>& futures() const { return futures_; }

 private:
  std::vector<TaskFuture> futures_;
};

}  // namespace zerotask

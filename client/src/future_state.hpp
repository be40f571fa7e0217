// detail::FutureState: what a TaskFuture and all its copies share.
//
// The I/O thread writes it (the acknowledged id, then the final outcome; each at most
// once) and any thread reads it, blocking until what it asks for is known. When the
// client closes, the thread that closes it writes the final outcome instead. The
// event fields at the end belong to the I/O thread alone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "zerotask/json_rpc.hpp"
#include "zerotask/task_state.hpp"

namespace zerotask::detail {

class Connection;

// Gets the body of each event published on the task's topic (task.<id>).
using EventCallback = std::function<void(const json& event)>;

class FutureState {
 public:
  explicit FutureState(std::weak_ptr<Connection> connection);
  FutureState(const FutureState&) = delete;
  FutureState& operator=(const FutureState&) = delete;

  // Writers. acknowledge() is ignored once an id is known; succeed() and fail() once
  // the outcome is known.
  void acknowledge(std::string id);
  void succeed(json result);
  // `state` is the task's final state when the broker reported one (FAILED,
  // CANCELLED); nullopt when the task's fate is unknown (refused, unreachable...).
  void fail(std::exception_ptr error, std::optional<TaskState> state = std::nullopt);

  // Readers, any thread.
  // Blocks until acknowledged; rethrows the error if the submission failed.
  const std::string& id() const;
  std::optional<std::string> known_id() const;
  bool done() const;
  bool wait_until(std::chrono::steady_clock::time_point deadline) const;
  json result() const;
  std::optional<TaskState> final_state() const;
  std::shared_future<json> std_future();
  // The client's connection; throws BrokerUnreachable("client closed") once the
  // Client is gone.
  std::shared_ptr<Connection> connection() const;

  // I/O thread only: callbacks set by on_progress() and on_partial(), whether the
  // connection delivers this task's events to them, and notify() to run them all
  // with one event (a callback that throws is logged).
  std::vector<EventCallback> event_callbacks;
  bool events_subscribed = false;
  void notify(const json& event);

 private:
  void complete(json result, std::exception_ptr error, std::optional<TaskState> state);

  const std::weak_ptr<Connection> connection_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool acknowledged_ = false;
  std::string id_;  // written once, before acknowledged_ is set; immutable afterwards
  bool done_ = false;
  std::optional<TaskState> final_state_;
  json result_;
  std::exception_ptr error_;
  // Made on the first as_std_future() and kept so every caller shares one future.
  std::optional<std::promise<json>> promise_;
  std::shared_future<json> shared_future_;
};

}  // namespace zerotask::detail

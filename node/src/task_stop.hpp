// TaskStop: the stop source of one task a node has accepted, and what fired it
// first. Shared by the I/O thread, which cancels the task on node.cancel, and the
// worker that runs it, which hands its token to the function, has the TaskTimer fire
// it at the task's deadline, and asks cause() what to report once the function
// returns.
//
// The first of the cancel and the deadline decides the error: a cancel noted before
// the deadline (and before the function returned: after, the task had finished)
// makes the task cancelled; a function that returns at or past its deadline (and was
// not cancelled before it) timed out. Times are compared rather than whoever fired
// the token first, so a timer thread running late cannot turn a timeout into a
// cancel.
//
// cancel(), request_stop(), cancelled() and token() are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <limits>
#include <optional>
#include <stop_token>

namespace zerotask::node_impl {

enum class StopCause { None, Cancelled, TimedOut };

class TaskStop {
 public:
  using Clock = std::chrono::steady_clock;

  // Notes the time of the first call and fires the token; later calls do nothing.
  void cancel();
  // Fires the token without it counting as a cancel (the node is stopping).
  void request_stop() { source_.request_stop(); }
  bool cancelled() const { return cancelled_at_.load() != kNever; }

  std::stop_token token() const { return source_.get_token(); }
  // For the TaskTimer, which fires a copy at the deadline.
  const std::stop_source& source() const { return source_; }

  // What replaces the outcome of a function that returned at `returned`, given the
  // task's deadline (none without a timeout).
  StopCause cause(std::optional<Clock::time_point> deadline, Clock::time_point returned) const;

 private:
  static constexpr Clock::rep kNever = std::numeric_limits<Clock::rep>::max();

  std::stop_source source_;
  std::atomic<Clock::rep> cancelled_at_{kNever};
};

}  // namespace zerotask::node_impl

#include "task_stop.hpp"

namespace zerotask::node_impl {

void TaskStop::cancel() {
  Clock::rep never = kNever;
  if (cancelled_at_.compare_exchange_strong(never, Clock::now().time_since_epoch().count())) source_.request_stop();
}

StopCause TaskStop::cause(std::optional<Clock::time_point> deadline, Clock::time_point returned) const {
  // kNever is above any time: a task never cancelled fails the first test.
  const Clock::rep cancelled_at = cancelled_at_.load();
  if (cancelled_at < returned.time_since_epoch().count() &&
      (!deadline || cancelled_at < deadline->time_since_epoch().count())) {
    return StopCause::Cancelled;
  }
  if (deadline && returned >= *deadline) return StopCause::TimedOut;
  return StopCause::None;
}

}  // namespace zerotask::node_impl

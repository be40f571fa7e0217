#include "future_state.hpp"

#include <utility>

#include "zerotask/errors.hpp"
#include "zerotask/log.hpp"

namespace zerotask::detail {
namespace {

// A copy of `error` that shares nothing with it, message included (libstdc++'s
// runtime_error copies share one reference-counted string). The stored exception
// is shared with the I/O thread, which may drop the last reference to it; a copy
// that only its new owner holds lives and dies on that owner's thread.
template <class ErrorType>
std::exception_ptr unshared(const ErrorType& error) {
  return std::make_exception_ptr(ErrorType(error.code(), error.what(), error.data()));
}

std::exception_ptr unshared_copy(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const BrokerBusy& busy) {
    return unshared(busy);
  } catch (const ProtocolError& refused) {
    return unshared(refused);
  } catch (const BrokerUnreachable& unreachable) {
    return unshared(unreachable);
  } catch (const TaskFailed& failed) {
    return unshared(failed);
  } catch (const TimedOut& timed_out) {
    return unshared(timed_out);
  } catch (const Cancelled& cancelled) {
    return unshared(cancelled);
  } catch (...) {
    return error;
  }
}

}  // namespace

FutureState::FutureState(std::weak_ptr<Connection> connection) : connection_(std::move(connection)) {}

void FutureState::acknowledge(std::string id) {
  {
    std::lock_guard lock(mutex_);
    if (acknowledged_ || done_) return;
    id_ = std::move(id);
    acknowledged_ = true;
  }
  changed_.notify_all();
}

void FutureState::succeed(json result) {
  complete(std::move(result), nullptr, TaskState::Succeeded);
}

void FutureState::fail(std::exception_ptr error, std::optional<TaskState> state) {
  complete(nullptr, std::move(error), state);
}

void FutureState::complete(json result, std::exception_ptr error, std::optional<TaskState> state) {
  {
    std::lock_guard lock(mutex_);
    if (done_) return;
    done_ = true;
    final_state_ = state;
    result_ = std::move(result);
    error_ = std::move(error);
    if (promise_) {
      if (error_) {
        promise_->set_exception(unshared_copy(error_));
      } else {
        promise_->set_value(result_);
      }
    }
  }
  changed_.notify_all();
}

const std::string& FutureState::id() const {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return acknowledged_ || done_; });
  if (!acknowledged_) std::rethrow_exception(unshared_copy(error_));
  return id_;
}

std::optional<std::string> FutureState::known_id() const {
  std::lock_guard lock(mutex_);
  if (!acknowledged_) return std::nullopt;
  return id_;
}

bool FutureState::done() const {
  std::lock_guard lock(mutex_);
  return done_;
}

bool FutureState::wait_until(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [this] { return done_; });
}

json FutureState::result() const {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return done_; });
  if (error_) std::rethrow_exception(unshared_copy(error_));
  return result_;
}

std::optional<TaskState> FutureState::final_state() const {
  std::lock_guard lock(mutex_);
  return final_state_;
}

std::shared_future<json> FutureState::std_future() {
  std::lock_guard lock(mutex_);
  if (!promise_) {
    promise_.emplace();
    shared_future_ = promise_->get_future().share();
    if (done_) {
      if (error_) {
        promise_->set_exception(unshared_copy(error_));
      } else {
        promise_->set_value(result_);
      }
    }
  }
  return shared_future_;
}

void FutureState::notify(const json& event) {
  // A copy: a callback may set another callback, which would move the ones running.
  std::vector<EventCallback> callbacks = event_callbacks;
  for (const auto& callback : callbacks) {
    try {
      callback(event);
    } catch (const std::exception& error) {
      log(LogLevel::Warn, "client", std::string("an event callback threw: ") + error.what());
    } catch (...) {
      log(LogLevel::Warn, "client", "an event callback threw");
    }
  }
}

std::shared_ptr<Connection> FutureState::connection() const {
  auto connection = connection_.lock();
  if (!connection) throw BrokerUnreachable(kNoProtocolCode, "client closed");
  return connection;
}

}  // namespace zerotask::detail

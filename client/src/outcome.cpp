#include "outcome.hpp"

#include <utility>

#include "zerotask/errors.hpp"

namespace zerotask::detail {

Outcome Outcome::success(json result) {
  Outcome outcome;
  outcome.result = std::move(result);
  return outcome;
}

Outcome Outcome::rpc_error(rpc::Error error) {
  Outcome outcome;
  outcome.kind = Kind::RpcError;
  outcome.error = std::move(error);
  return outcome;
}

Outcome Outcome::timed_out(std::string message) {
  Outcome outcome;
  outcome.kind = Kind::TimedOut;
  outcome.error = rpc::Error{rpc::kTimedOut, std::move(message), nullptr};
  return outcome;
}

Outcome Outcome::unreachable(std::string message) {
  Outcome outcome;
  outcome.kind = Kind::Unreachable;
  outcome.error = rpc::Error{kNoProtocolCode, std::move(message), nullptr};
  return outcome;
}

std::exception_ptr to_exception(Outcome&& outcome, ErrorMapping mapping) {
  rpc::Error& error = outcome.error;
  switch (outcome.kind) {
    case Outcome::Kind::TimedOut:
      return std::make_exception_ptr(TimedOut(error.code, error.message, std::move(error.data)));
    case Outcome::Kind::Unreachable:
      return std::make_exception_ptr(BrokerUnreachable(error.code, error.message, std::move(error.data)));
    case Outcome::Kind::Result:
    case Outcome::Kind::RpcError: break;
  }
  if (mapping == ErrorMapping::Task) {
    if (error.code == rpc::kCancelled) {
      return std::make_exception_ptr(Cancelled(error.code, error.message, std::move(error.data)));
    }
    // The broker names the task in the error of a task that ran and failed, whatever
    // its code (a timed-out attempt is kTimedOut); refusals name none.
    if (error.code == rpc::kTaskFailed || (error.data.is_object() && error.data.contains("task"))) {
      return std::make_exception_ptr(TaskFailed(error.code, error.message, std::move(error.data)));
    }
  }
  if (error.code == rpc::kOverloaded || error.code == rpc::kStoreUnavailable) {
    return std::make_exception_ptr(BrokerBusy(error.code, error.message, std::move(error.data)));
  }
  return std::make_exception_ptr(ProtocolError(error.code, error.message, std::move(error.data)));
}

void throw_failure(Outcome&& outcome, ErrorMapping mapping) {
  std::rethrow_exception(to_exception(std::move(outcome), mapping));
}

}  // namespace zerotask::detail

// Outcome: how one request to the broker ended, as the I/O thread hands it to
// whoever waits for it, and the mapping from an outcome to the exceptions of
// zerotask/errors.hpp. Values only; usable from any thread.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "zerotask/json_rpc.hpp"

namespace zerotask::detail {

struct Outcome {
  enum class Kind : std::uint8_t {
    Result,       // the broker answered with a result
    RpcError,     // the broker answered with a JSON-RPC error
    TimedOut,     // no answer before the request's deadline
    Unreachable,  // no connection to the broker, or the client is closing
  };

  Kind kind = Kind::Result;
  json result;       // Kind::Result
  rpc::Error error;  // Kind::RpcError: the broker's error; otherwise error.message says what happened

  bool ok() const { return kind == Kind::Result; }

  static Outcome success(json result);
  static Outcome rpc_error(rpc::Error error);
  static Outcome timed_out(std::string message);
  static Outcome unreachable(std::string message);
};

// How JSON-RPC errors map to exception types.
enum class ErrorMapping : std::uint8_t {
  Raw,   // every JSON-RPC error is a ProtocolError
  Task,  // the answer to a task call: a task's own error is TaskFailed, cancelled is Cancelled
};

// The exception for a failed outcome (TaskFailed, Cancelled, BrokerBusy,
// ProtocolError, TimedOut or BrokerUnreachable). `outcome` must not be ok().
std::exception_ptr to_exception(Outcome&& outcome, ErrorMapping mapping);
[[noreturn]] void throw_failure(Outcome&& outcome, ErrorMapping mapping);

}  // namespace zerotask::detail

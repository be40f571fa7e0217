// The error codes of the zerotask protocol: JSON-RPC's own and the application
// codes documented in docs/PROTOCOL.md. Values are part of the wire protocol and
// never change.
#pragma once

#include <string_view>

namespace zerotask::rpc {

enum ErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,

  kTaskFailed = -32000,        // the function raised; data.type names the error
  kTimedOut = -32001,          // a wait, call or task attempt ran past its deadline
  kCancelled = -32002,         // the task was cancelled
  kOverloaded = -32003,        // a limit was reached; retry later
  kNotFound = -32004,          // no task with that id
  kUnauthorized = -32005,      // reserved for authentication
  kNoNode = -32006,            // no connected node serves the function
  kNotCancellable = -32007,    // the task is running or finished
  kUnknownNode = -32008,       // a node.* call from a peer that has not said hello
  kUnknownFunction = -32009,   // a node has no such function registered
  kStoreUnavailable = -32010,  // the broker's store cannot write; nothing was done
  kNotRetryable = -32011       // task.retry of a task that is not FAILED
};

// data.type of the -32603 error that answers every waiting caller when the broker
// stops: nothing went wrong with the request, which a client may send again (with
// the same idempotency key) once the broker is back.
inline constexpr std::string_view kBrokerStoppingType = "zerotask::BrokerStopping";

// A short stable name for a code ("task_failed", "parse_error", ...), used by the
// command line and in logs; "error" for codes outside the list.
std::string_view error_code_name(int code);

}  // namespace zerotask::rpc

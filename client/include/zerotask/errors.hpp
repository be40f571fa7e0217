// The exceptions the client library throws. Every one is a zerotask::Error, which
// carries the JSON-RPC error code (docs/PROTOCOL.md, section 2) and its data.
#pragma once

#include <stdexcept>
#include <string>

#include "zerotask/error_codes.hpp"
#include "zerotask/json_rpc.hpp"

namespace zerotask {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message, json data = nullptr)
      : std::runtime_error(message), code_(code), data_(std::move(data)) {}
  int code() const { return code_; }
  const json& data() const { return data_; }

 private:
  int code_;
  json data_;
};

// The task failed: its function raised (code kTaskFailed), its last attempt ran past
// the task's timeout (kTimedOut), or its node was lost on its last attempt. data()
// holds {"type": ..., "task": ...}.
class TaskFailed : public Error {
 public:
  using Error::Error;
};

// A call or wait ran past its deadline. The message says when no node serves the
// function, which is the usual reason.
class TimedOut : public Error {
 public:
  using Error::Error;
};

// The task was cancelled: by a cancel (before it ran, or while it ran: its node
// was asked to stop it), or because a task it depends on did not succeed; data()
// then names it: {"task", "dependency": "<id>", "dependency_state": "FAILED"}.
class Cancelled : public Error {
 public:
  using Error::Error;
};

// The broker refused the request: invalid params, not found, no node...
class ProtocolError : public Error {
 public:
  using Error::Error;
};

// The broker could not take the request for now and did nothing: one of its limits
// was reached (code kOverloaded; data() is {"limit": ..., "value": ...}) or its store
// cannot write (kStoreUnavailable). The same request may succeed later; a submission
// sent again with the same idempotency key never makes a second task.
class BrokerBusy : public ProtocolError {
 public:
  using ProtocolError::ProtocolError;
};

// Code of the errors that are not an answer from the broker (BrokerUnreachable):
// no JSON-RPC code applies to them.
inline constexpr int kNoProtocolCode = 0;

// No connection to the broker within the connect timeout (when a connection is lost,
// the requests in flight wait that long for the broker to come back); a direct call
// in flight when the connection dropped (sending it again could run it twice); or
// the Client was closed while the request was in flight ("client closed"). Its
// code() is kNoProtocolCode.
class BrokerUnreachable : public Error {
 public:
  using Error::Error;
};

}  // namespace zerotask

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

// The task's function raised; data() holds {"type": ..., "task": ...}.
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

// The task was cancelled before it ran.
class Cancelled : public Error {
 public:
  using Error::Error;
};

// The broker refused the request: invalid params, not found, no node, overloaded...
class ProtocolError : public Error {
 public:
  using Error::Error;
};

// Code of the errors that are not an answer from the broker (BrokerUnreachable):
// no JSON-RPC code applies to them.
inline constexpr int kNoProtocolCode = 0;

// No connection to the broker could be made (or kept) within the connect timeout, or
// the Client was closed while the request was in flight ("client closed"). Its
// code() is kNoProtocolCode.
class BrokerUnreachable : public Error {
 public:
  using Error::Error;
};

}  // namespace zerotask

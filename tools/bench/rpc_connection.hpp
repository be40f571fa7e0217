// The bench's raw client: one DEALER on a request endpoint (our broker's or the
// reference's) that sends and receives single-frame JSON-RPC bodies, exactly what
// any third-party client would put on the wire. It deliberately does not use the
// client library, so both systems are driven by the same code.
// Owned and used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "zerotask/json_rpc.hpp"

namespace zerotask::bench {

class RpcConnection {
 public:
  // A `reconnect_interval` above 0 replaces ZeroMQ's 100 ms between attempts to
  // connect to an endpoint nobody has bound yet (for timing a broker's start).
  RpcConnection(zmq::context_t& context, const std::string& endpoint,
                std::chrono::milliseconds reconnect_interval = std::chrono::milliseconds(0));

  const std::string& endpoint() const { return endpoint_; }

  // Blocks while the socket's send queue is full (that is the back-pressure).
  void send(std::string_view body);

  // Receives the next message's body (its last frame) into `body`. A zero timeout
  // does not wait. False when nothing came in time.
  bool receive(zmq::message_t& body, std::chrono::milliseconds timeout);

  // Sends a request with an id of its own ("zt-bench-<n>", never an integer, so it
  // cannot be mistaken for a driver's call) and returns the whole response object,
  // dropping any other message meanwhile. Null when no response came in time.
  json request(std::string_view method, const json& params, std::chrono::milliseconds timeout);

  // request() that needs a result: throws std::runtime_error on a timeout or an
  // error response, naming the method and the endpoint.
  json call(std::string_view method, const json& params, std::chrono::milliseconds timeout);

 private:
  std::string endpoint_;
  zmq::socket_t socket_;
  int receive_timeout_ms_ = -1;
  std::uint64_t next_request_ = 0;
};

}  // namespace zerotask::bench

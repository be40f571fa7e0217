// HttpGateway: the broker's HTTP side (`broker --http`, docs/HTTP.md): /healthz,
// /metrics, the REST way to tasks, Server-Sent Events and the dashboard's files.
//
// A client of the broker loop like any other, on threads of its own: requests go to
// the loop as JSON-RPC over DEALER sockets each HTTP handler makes for itself
// (LoopClient), events come from SUB sockets each event stream makes for itself,
// both on the loop's in-process endpoints; nothing of the loop's state is touched.
// The constructor binds (and throws std::runtime_error when it cannot) and starts
// serving on cpp-httplib's thread pool; the destructor ends the event streams,
// stops the server and joins its threads. Construct and destroy on one thread, and
// destroy before the ZeroMQ context goes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "http/http_address.hpp"

namespace zerotask::broker {

struct HttpGatewayOptions {
  HttpAddress address;
  std::string request_endpoint;  // the loop's in-process endpoints
  std::string event_endpoint;
  std::size_t max_depth = 64;  // the broker's own limits, applied to request bodies
  std::int64_t max_message_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds request_timeout{5000};  // how long a handler waits for the loop
};

class HttpGateway {
 public:
  HttpGateway(zmq::context_t& context, HttpGatewayOptions options);
  ~HttpGateway();
  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zerotask::broker

// Socket options every zerotask socket gets: a short linger so shutdown never
// hangs, a cap on incoming message size, and high-water marks sized on purpose.
#pragma once

#include <cstdint>

#include <zmq.hpp>

namespace zerotask {

struct SocketLimits {
  std::int64_t max_message_bytes = 16 * 1024 * 1024;  // ZMQ_MAXMSGSIZE; larger drops the connection
  int high_water_mark = 100000;                         // messages queued per peer, each way
  int linger_ms = 200;
};

void apply_socket_limits(zmq::socket_t& socket, const SocketLimits& limits);

}  // namespace zerotask

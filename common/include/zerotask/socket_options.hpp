// Socket options every zerotask socket gets: a short linger so shutdown never
// hangs, a cap on incoming message size, and high-water marks sized on purpose;
// and CURVE for the sockets of peers of a broker that requires it.
#pragma once

#include <cstdint>

#include <zmq.hpp>

#include "zerotask/curve.hpp"

namespace zerotask {

struct SocketLimits {
  std::int64_t max_message_bytes = 16 * 1024 * 1024;  // ZMQ_MAXMSGSIZE; larger drops the connection
  int high_water_mark = 100000;                       // messages queued per peer, each way
  int linger_ms = 200;
};

void apply_socket_limits(zmq::socket_t& socket, const SocketLimits& limits);

// Makes `socket` a CURVE client of the broker. Before connect(). Throws
// std::invalid_argument for a malformed key.
void apply_curve_client(zmq::socket_t& socket, const CurveCredentials& credentials);

}  // namespace zerotask

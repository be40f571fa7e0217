#include "zerotask/socket_options.hpp"

namespace zerotask {

void apply_socket_limits(zmq::socket_t& socket, const SocketLimits& limits) {
  socket.set(zmq::sockopt::linger, limits.linger_ms);
  socket.set(zmq::sockopt::maxmsgsize, limits.max_message_bytes);
  socket.set(zmq::sockopt::sndhwm, limits.high_water_mark);
  socket.set(zmq::sockopt::rcvhwm, limits.high_water_mark);
}

}  // namespace zerotask

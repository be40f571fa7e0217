#include "zerotask/socket_options.hpp"

#include <stdexcept>

namespace zerotask {

void apply_socket_limits(zmq::socket_t& socket, const SocketLimits& limits) {
  socket.set(zmq::sockopt::linger, limits.linger_ms);
  socket.set(zmq::sockopt::maxmsgsize, limits.max_message_bytes);
  socket.set(zmq::sockopt::sndhwm, limits.high_water_mark);
  socket.set(zmq::sockopt::rcvhwm, limits.high_water_mark);
}

void apply_curve_client(zmq::socket_t& socket, const CurveCredentials& credentials) {
  for (const std::string* key :
       {&credentials.broker_public_key, &credentials.own.public_key, &credentials.own.secret_key}) {
    if (!is_curve_key(*key)) throw std::invalid_argument("a CURVE key is not 40 characters of Z85");
  }
  socket.set(zmq::sockopt::curve_serverkey, credentials.broker_public_key);
  socket.set(zmq::sockopt::curve_publickey, credentials.own.public_key);
  socket.set(zmq::sockopt::curve_secretkey, credentials.own.secret_key);
}

}  // namespace zerotask

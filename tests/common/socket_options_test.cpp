// apply_socket_limits (common/include/zerotask/socket_options.hpp): every option it
// promises is really set on the socket.
#include <doctest/doctest.h>

#include <zmq.hpp>

#include "zerotask/socket_options.hpp"

TEST_CASE("apply_socket_limits sets linger, the message size cap and both high-water marks" * doctest::timeout(10)) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  zerotask::SocketLimits limits{.max_message_bytes = 4096, .high_water_mark = 1234, .linger_ms = 50};
  zerotask::apply_socket_limits(socket, limits);
  CHECK(socket.get(zmq::sockopt::linger) == 50);
  CHECK(socket.get(zmq::sockopt::maxmsgsize) == 4096);
  CHECK(socket.get(zmq::sockopt::sndhwm) == 1234);
  CHECK(socket.get(zmq::sockopt::rcvhwm) == 1234);
}

TEST_CASE("the default socket limits are a 16 MiB cap, 100,000 messages and a short linger" * doctest::timeout(10)) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::router);
  zerotask::apply_socket_limits(socket, {});
  CHECK(socket.get(zmq::sockopt::maxmsgsize) == 16 * 1024 * 1024);
  CHECK(socket.get(zmq::sockopt::sndhwm) == 100000);
  CHECK(socket.get(zmq::sockopt::rcvhwm) == 100000);
  CHECK(socket.get(zmq::sockopt::linger) == 200);
}

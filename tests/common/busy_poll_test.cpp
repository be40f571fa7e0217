// busy_poll (common/include/zerotask/busy_poll.hpp): spins on a zero-timeout poll
// until a socket is ready or the budget is spent.
#include <doctest/doctest.h>

#include <chrono>

#include <zmq.hpp>

#include "zerotask/busy_poll.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// A connected PAIR of inproc sockets; `receiver` is the one polled.
struct SocketPair {
  zmq::context_t context;
  zmq::socket_t sender{context, zmq::socket_type::pair};
  zmq::socket_t receiver{context, zmq::socket_type::pair};
  SocketPair() {
    receiver.bind("inproc://busy-poll-test");
    sender.connect("inproc://busy-poll-test");
  }
};

}  // namespace

TEST_CASE("busy_poll returns true at once when a socket already has a message" * doctest::timeout(10)) {
  SocketPair pair;
  pair.sender.send(zmq::str_buffer("ready"), zmq::send_flags::none);
  zmq::pollitem_t item{pair.receiver.handle(), 0, ZMQ_POLLIN, 0};
  auto start = Clock::now();
  CHECK(zerotask::busy_poll(&item, 1, std::chrono::seconds(5)));
  CHECK(Clock::now() - start < std::chrono::seconds(1));
  CHECK((item.revents & ZMQ_POLLIN) != 0);
}

TEST_CASE("busy_poll gives up with false once its budget is spent" * doctest::timeout(10)) {
  SocketPair pair;
  zmq::pollitem_t item{pair.receiver.handle(), 0, ZMQ_POLLIN, 0};
  auto start = Clock::now();
  CHECK_FALSE(zerotask::busy_poll(&item, 1, std::chrono::milliseconds(20)));
  auto elapsed = Clock::now() - start;
  CHECK(elapsed >= std::chrono::milliseconds(20));
  CHECK(elapsed < std::chrono::seconds(2));
}

TEST_CASE("busy_poll with a zero budget polls exactly once" * doctest::timeout(10)) {
  SocketPair pair;
  zmq::pollitem_t item{pair.receiver.handle(), 0, ZMQ_POLLIN, 0};
  auto start = Clock::now();
  CHECK_FALSE(zerotask::busy_poll(&item, 1, std::chrono::microseconds(0)));
  CHECK(Clock::now() - start < std::chrono::milliseconds(500));

  pair.sender.send(zmq::str_buffer("now"), zmq::send_flags::none);
  // inproc delivery is immediate once send returns.
  CHECK(zerotask::busy_poll(&item, 1, std::chrono::microseconds(0)));
}

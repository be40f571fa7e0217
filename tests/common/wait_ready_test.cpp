// wait_ready (common/include/zerotask/wait_ready.hpp): zmq::poll's contract with
// fewer system calls: a ready socket or descriptor, a timeout, a message that
// arrives while it sleeps, a socket readable after a send took its signal, a
// wake-up with nothing to read, a closed descriptor.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include <zmq.hpp>

#include "inproc_pair.hpp"
#include "zerotask/wait_ready.hpp"
#include "zerotask/wakeup.hpp"

using zerotask::testing::InprocPair;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST_CASE("wait_ready reports a socket that already has a message without waiting" * doctest::timeout(10)) {
  InprocPair pair;
  zerotask::Wakeup wakeup;
  pair.sender.send(zmq::str_buffer("ready"), zmq::send_flags::none);
  zmq::pollitem_t items[2] = {{pair.receiver.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wakeup.fd(), ZMQ_POLLIN, 0}};
  auto start = Clock::now();
  CHECK(zerotask::wait_ready(items, 2, milliseconds(5000)) == 1);
  CHECK(Clock::now() - start < milliseconds(1000));
  CHECK(items[0].revents == ZMQ_POLLIN);
  CHECK(items[1].revents == 0);
}

TEST_CASE("wait_ready reports a ready descriptor beside a ready socket" * doctest::timeout(10)) {
  InprocPair pair;
  zerotask::Wakeup wakeup;
  pair.sender.send(zmq::str_buffer("ready"), zmq::send_flags::none);
  wakeup.notify();
  zmq::pollitem_t items[2] = {{pair.receiver.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wakeup.fd(), ZMQ_POLLIN, 0}};
  CHECK(zerotask::wait_ready(items, 2, milliseconds(5000)) == 2);
  CHECK(items[0].revents == ZMQ_POLLIN);
  CHECK(items[1].revents == ZMQ_POLLIN);
}

TEST_CASE("wait_ready returns 0 once the timeout passes with nothing ready" * doctest::timeout(10)) {
  InprocPair pair;
  zerotask::Wakeup wakeup;
  zmq::pollitem_t items[2] = {{pair.receiver.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wakeup.fd(), ZMQ_POLLIN, 0}};
  auto start = Clock::now();
  CHECK(zerotask::wait_ready(items, 2, milliseconds(50)) == 0);
  auto elapsed = Clock::now() - start;
  CHECK(elapsed >= milliseconds(50));
  CHECK(elapsed < milliseconds(2000));
  CHECK(items[0].revents == 0);
  CHECK(items[1].revents == 0);
  // A zero timeout looks once.
  CHECK(zerotask::wait_ready(items, 2, milliseconds(0)) == 0);
}

TEST_CASE("wait_ready wakes for a message sent while it sleeps" * doctest::timeout(10)) {
  InprocPair pair;
  zmq::pollitem_t item{pair.receiver.handle(), 0, ZMQ_POLLIN, 0};
  std::thread later([&] {
    std::this_thread::sleep_for(milliseconds(50));
    pair.sender.send(zmq::str_buffer("later"), zmq::send_flags::none);
  });
  CHECK(zerotask::wait_ready(&item, 1, milliseconds(-1)) == 1);
  CHECK(item.revents == ZMQ_POLLIN);
  later.join();
}

TEST_CASE("wait_ready wakes for a descriptor raised while it sleeps" * doctest::timeout(10)) {
  InprocPair pair;
  zerotask::Wakeup wakeup;
  zmq::pollitem_t items[2] = {{pair.receiver.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wakeup.fd(), ZMQ_POLLIN, 0}};
  std::thread later([&] {
    std::this_thread::sleep_for(milliseconds(50));
    wakeup.notify();
  });
  CHECK(zerotask::wait_ready(items, 2, milliseconds(5000)) == 1);
  CHECK(items[0].revents == 0);
  CHECK(items[1].revents == ZMQ_POLLIN);
  later.join();
}

TEST_CASE("wait_ready asks a socket before it sleeps, as a send may have taken the socket's signal" *
          doctest::timeout(10)) {
  // A socket's descriptor is raised once per batch of commands; a send that handles
  // the command announcing a new message leaves the descriptor quiet while the
  // message waits.
  InprocPair pair;
  zmq::pollitem_t item{pair.receiver.handle(), 0, ZMQ_POLLIN, 0};
  REQUIRE(zerotask::wait_ready(&item, 1, milliseconds(0)) == 0);
  pair.sender.send(zmq::str_buffer("in"), zmq::send_flags::none);
  // libzmq handles commands on a send at most about once a millisecond.
  std::this_thread::sleep_for(milliseconds(5));
  pair.receiver.send(zmq::str_buffer("out"), zmq::send_flags::none);
  auto start = Clock::now();
  CHECK(zerotask::wait_ready(&item, 1, milliseconds(2000)) == 1);
  CHECK(Clock::now() - start < milliseconds(1000));
  CHECK(item.revents == ZMQ_POLLIN);
}

TEST_CASE("wait_ready sleeps again when a socket's descriptor fires with nothing to read" * doctest::timeout(10)) {
  // A peer connecting raises the ROUTER's descriptor (a new pipe) without a message.
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  router.bind("inproc://wait-ready-spurious");
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
  std::thread later([&] {
    std::this_thread::sleep_for(milliseconds(50));
    dealer.connect("inproc://wait-ready-spurious");
  });
  auto start = Clock::now();
  CHECK(zerotask::wait_ready(&item, 1, milliseconds(300)) == 0);
  auto elapsed = Clock::now() - start;
  later.join();
  CHECK(elapsed >= milliseconds(300));
  CHECK(item.revents == 0);
}

TEST_CASE("wait_ready reports a descriptor whose other end closed as ZMQ_POLLERR, as zmq::poll does" *
          doctest::timeout(10)) {
  int ends[2];
  REQUIRE(pipe(ends) == 0);
  close(ends[1]);
  zmq::pollitem_t ours{nullptr, ends[0], ZMQ_POLLIN, 0};
  zmq::pollitem_t theirs{nullptr, ends[0], ZMQ_POLLIN, 0};
  CHECK(zerotask::wait_ready(&ours, 1, milliseconds(1000)) == 1);
  CHECK(zmq::poll(&theirs, 1, milliseconds(1000)) == 1);
  CHECK(ours.revents == theirs.revents);
  CHECK((ours.revents & ZMQ_POLLERR) != 0);
  close(ends[0]);
}

TEST_CASE("wait_ready reports a writable socket when asked for ZMQ_POLLOUT" * doctest::timeout(10)) {
  InprocPair pair;
  zmq::pollitem_t item{pair.sender.handle(), 0, ZMQ_POLLOUT, 0};
  CHECK(zerotask::wait_ready(&item, 1, milliseconds(2000)) == 1);
  CHECK(item.revents == ZMQ_POLLOUT);
}

TEST_CASE("wait_ready refuses more items than it takes" * doctest::timeout(10)) {
  zmq::pollitem_t items[zerotask::kMaxWaitItems + 1] = {};
  CHECK_THROWS_AS(zerotask::wait_ready(items, zerotask::kMaxWaitItems + 1, milliseconds(0)), std::invalid_argument);
}

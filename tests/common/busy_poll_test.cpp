// busy_poll (common/include/zerotask/busy_poll.hpp): spins on a zero-timeout wait
// until a socket is ready or the budget is spent; no spin on a thread pinned to one CPU.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include <zmq.hpp>

#include "inproc_pair.hpp"
#include "zerotask/busy_poll.hpp"
#include "zerotask/cpu_affinity.hpp"

using zerotask::testing::InprocPair;
using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;

TEST_CASE("busy_poll returns true at once when a socket already has a message" * doctest::timeout(10)) {
  InprocPair pair;
  pair.sender.send(zmq::str_buffer("ready"), zmq::send_flags::none);
  zmq::pollitem_t item{pair.receiver.handle(), 0, ZMQ_POLLIN, 0};
  auto start = Clock::now();
  CHECK(zerotask::busy_poll(&item, 1, std::chrono::seconds(5)));
  CHECK(Clock::now() - start < std::chrono::seconds(1));
  CHECK((item.revents & ZMQ_POLLIN) != 0);
}

TEST_CASE("busy_poll gives up with false once its budget is spent" * doctest::timeout(10)) {
  InprocPair pair;
  zmq::pollitem_t item{pair.receiver.handle(), 0, ZMQ_POLLIN, 0};
  auto start = Clock::now();
  CHECK_FALSE(zerotask::busy_poll(&item, 1, std::chrono::milliseconds(20)));
  auto elapsed = Clock::now() - start;
  CHECK(elapsed >= std::chrono::milliseconds(20));
  CHECK(elapsed < std::chrono::seconds(2));
}

TEST_CASE("busy_poll with a zero budget polls exactly once" * doctest::timeout(10)) {
  InprocPair pair;
  zmq::pollitem_t item{pair.receiver.handle(), 0, ZMQ_POLLIN, 0};
  auto start = Clock::now();
  CHECK_FALSE(zerotask::busy_poll(&item, 1, std::chrono::microseconds(0)));
  CHECK(Clock::now() - start < std::chrono::milliseconds(500));

  pair.sender.send(zmq::str_buffer("now"), zmq::send_flags::none);
  // inproc delivery is immediate once send returns.
  CHECK(zerotask::busy_poll(&item, 1, std::chrono::microseconds(0)));
}

TEST_CASE("worthwhile_busy_poll keeps the spin on a thread that may run on several CPUs" * doctest::timeout(10)) {
  if (zerotask::allowed_cpus().size() < 2) {
    MESSAGE("this process may run on one CPU only: nothing to check");
    return;
  }
  CHECK(zerotask::worthwhile_busy_poll(microseconds(50)) == microseconds(50));
  CHECK(zerotask::worthwhile_busy_poll(microseconds(0)) == microseconds(0));
}

TEST_CASE("worthwhile_busy_poll turns the spin off on a thread pinned to one CPU" * doctest::timeout(10)) {
  int first = zerotask::allowed_cpus().front();
  microseconds pinned_spin{-1};
  // A thread of its own, so the pin does not outlive the test.
  std::thread pinned([&] {
    zerotask::pin_calling_thread(first);
    pinned_spin = zerotask::worthwhile_busy_poll(microseconds(50));
  });
  pinned.join();
  CHECK(pinned_spin == microseconds(0));
}

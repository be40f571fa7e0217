// Wakeup (common/include/zerotask/wakeup.hpp): a signal any thread raises and a
// poll loop waits on through its file descriptor.
#include <doctest/doctest.h>

#include <poll.h>

#include <thread>

#include "zerotask/wakeup.hpp"

namespace {

// True when `fd` becomes readable within `timeout_ms`.
bool readable(int fd, int timeout_ms) {
  pollfd item{fd, POLLIN, 0};
  return poll(&item, 1, timeout_ms) == 1 && (item.revents & POLLIN) != 0;
}

}  // namespace

TEST_CASE("a fresh wakeup is not readable" * doctest::timeout(10)) {
  zerotask::Wakeup wakeup;
  CHECK(wakeup.fd() >= 0);
  CHECK_FALSE(readable(wakeup.fd(), 0));
}

TEST_CASE("notify makes the descriptor readable until clear resets it" * doctest::timeout(10)) {
  zerotask::Wakeup wakeup;
  wakeup.notify();
  CHECK(readable(wakeup.fd(), 0));
  wakeup.notify();  // several notifications before a clear collapse into one
  wakeup.clear();
  CHECK_FALSE(readable(wakeup.fd(), 0));
  wakeup.clear();  // clearing twice does not block or fail
  CHECK_FALSE(readable(wakeup.fd(), 0));
}

TEST_CASE("a notify from another thread wakes a thread polling the descriptor" * doctest::timeout(10)) {
  zerotask::Wakeup wakeup;
  std::thread notifier([&] {
    for (int i = 0; i < 1000; ++i) wakeup.notify();
  });
  CHECK(readable(wakeup.fd(), 5000));
  notifier.join();
  wakeup.clear();
  CHECK_FALSE(readable(wakeup.fd(), 0));
}

TEST_CASE("each wakeup has its own descriptor" * doctest::timeout(10)) {
  zerotask::Wakeup first;
  zerotask::Wakeup second;
  CHECK(first.fd() != second.fd());
  first.notify();
  CHECK(readable(first.fd(), 0));
  CHECK_FALSE(readable(second.fd(), 0));
}

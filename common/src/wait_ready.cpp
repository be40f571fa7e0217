#include "zerotask/wait_ready.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <stdexcept>

namespace zerotask {
namespace {

using Clock = std::chrono::steady_clock;

// What a socket is ready for, of what `item` asks.
short socket_events(const zmq::pollitem_t& item) {
  std::uint32_t events = 0;
  std::size_t size = sizeof(events);
  if (zmq_getsockopt(item.socket, ZMQ_EVENTS, &events, &size) != 0) throw zmq::error_t();
  return static_cast<short>(events & static_cast<std::uint32_t>(item.events & (ZMQ_POLLIN | ZMQ_POLLOUT)));
}

zmq_fd_t socket_fd(const zmq::pollitem_t& item) {
  zmq_fd_t fd = 0;
  std::size_t size = sizeof(fd);
  if (zmq_getsockopt(item.socket, ZMQ_FD, &fd, &size) != 0) throw zmq::error_t();
  return fd;
}

// What poll() reported for a plain descriptor, in zmq_poll's terms: anything but
// readable, writable or priority data (a hang-up, an error) is ZMQ_POLLERR.
short descriptor_events(short revents) {
  short ready = 0;
  if (revents & POLLIN) ready |= ZMQ_POLLIN;
  if (revents & POLLOUT) ready |= ZMQ_POLLOUT;
  if (revents & POLLPRI) ready |= ZMQ_POLLPRI;
  if (revents & ~(POLLIN | POLLOUT | POLLPRI)) ready |= ZMQ_POLLERR;
  return ready;
}

}  // namespace

int wait_ready(zmq::pollitem_t* items, std::size_t count, std::chrono::milliseconds timeout) {
  if (count > kMaxWaitItems) throw std::invalid_argument("wait_ready takes at most kMaxWaitItems items");
  bool ready = false;
  for (std::size_t i = 0; i < count; ++i) {
    items[i].revents = items[i].socket ? socket_events(items[i]) : 0;
    ready = ready || items[i].revents != 0;
  }
  std::array<pollfd, kMaxWaitItems> fds{};
  for (std::size_t i = 0; i < count; ++i) {
    if (items[i].socket) {
      // ZMQ_FD only says "ask ZMQ_EVENTS again"; it is readable whatever the socket waits for.
      fds[i] = pollfd{socket_fd(items[i]), POLLIN, 0};
    } else {
      short events = static_cast<short>(((items[i].events & ZMQ_POLLIN) ? POLLIN : 0) |
                                        ((items[i].events & ZMQ_POLLOUT) ? POLLOUT : 0) |
                                        ((items[i].events & ZMQ_POLLPRI) ? POLLPRI : 0));
      fds[i] = pollfd{items[i].fd, events, 0};
    }
  }
  // Beyond what poll() takes (about 24 days) a timeout is as good as none. A socket
  // already ready: the plain descriptors are still looked at, without waiting.
  const bool forever = !ready && (timeout.count() < 0 || timeout.count() > INT_MAX);
  const auto deadline = Clock::now() + (ready || forever ? std::chrono::milliseconds(0) : timeout);
  while (true) {
    int wait_ms = -1;
    if (!forever) {
      wait_ms = ready ? 0
                      : static_cast<int>(std::max<std::int64_t>(
                            0, std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count()));
    }
    int fired = ::poll(fds.data(), static_cast<nfds_t>(count), wait_ms);
    if (fired < 0) throw zmq::error_t();
    for (std::size_t i = 0; i < count && fired > 0; ++i) {
      if (fds[i].revents == 0) continue;
      --fired;
      items[i].revents = items[i].socket ? socket_events(items[i]) : descriptor_events(fds[i].revents);
    }
    int ready_items = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (items[i].revents != 0) ++ready_items;
    }
    if (ready_items > 0 || (!forever && Clock::now() >= deadline)) return ready_items;
    // Woken by a socket's descriptor with nothing to read or write: sleep again.
  }
}

}  // namespace zerotask

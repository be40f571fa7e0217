#include "zerotask/busy_poll.hpp"

#include <sched.h>

#include <system_error>

#include "zerotask/cpu_affinity.hpp"
#include "zerotask/wait_ready.hpp"

namespace zerotask {

bool busy_poll(zmq::pollitem_t* items, std::size_t count, std::chrono::microseconds budget) {
  auto until = std::chrono::steady_clock::now() + budget;
  do {
    if (wait_ready(items, count, std::chrono::milliseconds(0)) > 0) return true;
    // A thread woken on this CPU, such as ZeroMQ's I/O thread with the message this
    // loop has just sent, would otherwise wait for the whole spin.
    sched_yield();
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

std::chrono::microseconds worthwhile_busy_poll(std::chrono::microseconds requested) {
  try {
    return allowed_cpus().size() > 1 ? requested : std::chrono::microseconds(0);
  } catch (const std::system_error&) {
    return requested;  // unknown: spin as asked
  }
}

}  // namespace zerotask

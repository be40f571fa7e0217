#include "zerotask/busy_poll.hpp"

#include <sched.h>

#include "zerotask/wait_ready.hpp"

namespace zerotask {

bool busy_poll(zmq::pollitem_t* items, std::size_t count, std::chrono::microseconds budget) {
  auto until = std::chrono::steady_clock::now() + budget;
  do {
    if (wait_ready(items, count, std::chrono::milliseconds(0)) > 0) return true;
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

std::chrono::microseconds worthwhile_busy_poll(std::chrono::microseconds requested) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  // Unknown (the call failed): spin as asked.
  if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) return requested;
  return CPU_COUNT(&cpus) > 1 ? requested : std::chrono::microseconds(0);
}

}  // namespace zerotask

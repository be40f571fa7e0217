#include "zerotask/busy_poll.hpp"

namespace zerotask {

bool busy_poll(zmq::pollitem_t* items, std::size_t count, std::chrono::microseconds budget) {
  auto until = std::chrono::steady_clock::now() + budget;
  do {
    if (zmq::poll(items, count, std::chrono::milliseconds(0)) > 0) return true;
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

}  // namespace zerotask

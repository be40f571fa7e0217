#include "zerotask/clock.hpp"

#include <chrono>

namespace zerotask {

std::int64_t unix_time_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace zerotask

// How long zt-bench waits for its brokers, and durations as its figures count them.
#pragma once

#include <chrono>

namespace zerotask::bench {

// How long a driver waits without any answer before it gives up.
inline constexpr std::chrono::milliseconds kStallTimeout{30000};
// How long an administrative request (broker.stats, broker.functions) may take.
inline constexpr std::chrono::milliseconds kAdminTimeout{30000};

inline double seconds(std::chrono::nanoseconds elapsed) {
  return std::chrono::duration<double>(elapsed).count();
}

}  // namespace zerotask::bench

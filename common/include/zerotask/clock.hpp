// Wall-clock time as the protocol writes it: milliseconds since the Unix epoch; how a
// time on that clock maps to the steady clock timers run on; and spans on the latter.
#pragma once

#include <chrono>
#include <cstdint>

namespace zerotask {

std::int64_t unix_time_ms();

// The steady time of `unix_ms`, knowing that `steady_now` and `unix_now` are the
// same instant on the two clocks.
inline std::chrono::steady_clock::time_point steady_time_of(std::int64_t unix_ms,
                                                            std::chrono::steady_clock::time_point steady_now,
                                                            std::int64_t unix_now) {
  return steady_now + std::chrono::milliseconds(unix_ms - unix_now);
}

// Whole milliseconds from `from` to `to`, and 0 when `to` is the earlier.
inline std::int64_t elapsed_ms(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return to > from ? std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count() : 0;
}

}  // namespace zerotask

// Wall-clock time as the protocol writes it: milliseconds since the Unix epoch.
#pragma once

#include <cstdint>

namespace zerotask {

std::int64_t unix_time_ms();

}  // namespace zerotask

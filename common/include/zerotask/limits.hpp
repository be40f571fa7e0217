// Limits that are part of the protocol (docs/PROTOCOL.md): both sides check them,
// so they are defined once here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zerotask {

// Function names and node names: 1 to this many bytes.
constexpr std::size_t kMaxNameBytes = 128;
// A node's slots: 0 to this many.
constexpr std::int64_t kMaxSlots = 100000;
// Default nesting depth a broker accepts in a message (--max-depth).
constexpr std::size_t kDefaultMaxDepth = 64;
// The deepest --max-depth a broker may be given; nodes read the broker's messages
// with a limit above it.
constexpr std::size_t kMaxConfigurableDepth = 512;
// A task's or function's max_retries: 0 to this many.
constexpr int kMaxRetries = 100;
// A task's or function's timeout_ms: 1 to this many (a day).
constexpr std::int64_t kMaxTaskTimeoutMs = 24LL * 3600 * 1000;
// The named queues one node serves: at most this many.
constexpr std::size_t kMaxQueues = 100;

}  // namespace zerotask

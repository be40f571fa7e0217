// Busy polling: asking ZeroMQ whether anything is ready, without sleeping, for a
// short while before a loop blocks. On a busy system the next message usually
// comes within microseconds while a sleeping thread takes far longer to wake, so
// every loop that owns sockets spins a little after each turn. Any thread, for
// the sockets it owns.
#pragma once

#include <chrono>
#include <cstddef>

#include <zmq.hpp>

namespace zerotask {

// Default spin of the broker, node and client loops.
constexpr std::chrono::microseconds kDefaultBusyPoll{50};

// Polls `items` with a zero timeout until one is ready (true) or `budget` has
// passed (false). A budget of 0 polls once.
bool busy_poll(zmq::pollitem_t* items, std::size_t count, std::chrono::microseconds budget);

}  // namespace zerotask

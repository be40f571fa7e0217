// Busy polling: asking ZeroMQ whether anything is ready, without sleeping, for a
// short while before a loop blocks. On a busy system the next message usually
// comes within microseconds while a sleeping thread takes far longer to wake, so
// the broker's loop spins a little after each turn. Any thread, for the sockets it
// owns.
#pragma once

#include <chrono>
#include <cstddef>

#include <zmq.hpp>

namespace zerotask {

// Default spin of the broker's loop.
constexpr std::chrono::microseconds kDefaultBusyPoll{200};

// Looks at `items` (wait_ready with a zero timeout) until one is ready (true) or
// `budget` has passed (false), yielding the CPU between looks to any thread
// waiting for it. A budget of 0 looks once.
bool busy_poll(zmq::pollitem_t* items, std::size_t count, std::chrono::microseconds budget);

// The spin worth doing on the calling thread: `requested`, or 0 when the thread may
// run on one CPU only (its affinity mask, as `taskset` or a container's cpuset
// sets it). There the spin only keeps the threads that would bring the next
// message (ZeroMQ's I/O thread, the peers) off the CPU until it ends.
std::chrono::microseconds worthwhile_busy_poll(std::chrono::microseconds requested);

}  // namespace zerotask

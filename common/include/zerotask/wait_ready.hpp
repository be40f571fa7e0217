// wait_ready: zmq::poll with fewer system calls, for the loops on the path of
// every task (the broker's and the node's).
//
// zmq_poll polls every descriptor twice (a zero-timeout pass, then one with the
// timeout) and asks every socket for ZMQ_EVENTS after each pass, and each such
// question is a poll() and a getpid() inside libzmq. wait_ready asks each socket
// once before it sleeps, sleeps in one poll() on all the descriptors (a socket's
// ZMQ_FD beside plain ones), and afterwards asks only the sockets whose
// descriptor fired.
#pragma once

#include <chrono>
#include <cstddef>

#include <zmq.hpp>

namespace zerotask {

// Most items one call takes.
constexpr std::size_t kMaxWaitItems = 8;

// Waits until one of `items` (at most kMaxWaitItems) is ready or `timeout` passes
// (negative: no limit; 0: look once). Sets each item's revents as zmq::poll does
// and returns how many items are ready (0: timed out). A signal throws
// zmq::error_t with EINTR, as zmq::poll does. Sockets must have a ZMQ_FD: the
// thread-safe types (CLIENT, SERVER, RADIO, DISH) have none and throw EINVAL.
int wait_ready(zmq::pollitem_t* items, std::size_t count, std::chrono::milliseconds timeout);

}  // namespace zerotask

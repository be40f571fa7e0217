// The three ways zt-bench loads a request endpoint: requests pipelined under a
// window, requests one at a time, and notifications. Request k must carry the
// integer id k; every answer is checked (once per id, a result, not an error).
// All of them block the calling thread until done; any failure throws
// std::runtime_error with what was seen.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rpc_connection.hpp"

namespace zerotask::bench {

// The text of request k.
using RequestText = std::function<std::string(std::uint64_t k)>;
// Called with each request's result as it arrives.
using ResultSink = std::function<void(std::uint64_t k, json& result)>;

// Sends requests 0..count-1, never more than `window` unanswered, until all are
// answered. Returns the time from the first send to the last answer. Error answers
// are counted and reported together (with the first one) once all are in.
std::chrono::nanoseconds run_pipelined(RpcConnection& connection, std::size_t count, std::size_t window,
                                       const RequestText& request, const ResultSink& sink = {});

// Sends requests 0..count-1 one at a time, each after the previous answer, and
// returns each round trip (send to answer) in order.
std::vector<std::chrono::nanoseconds> run_sequential(RpcConnection& connection, std::size_t count,
                                                     const RequestText& request);

// Sends `count` copies of `notification` as fast as the socket takes them, then
// calls `wait_done` (which returns once the other side has processed them all).
// Returns the time from the first send to wait_done's return.
std::chrono::nanoseconds run_notifications(RpcConnection& connection, std::size_t count, std::string_view notification,
                                           const std::function<void()>& wait_done);

}  // namespace zerotask::bench

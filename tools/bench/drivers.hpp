// The ways zt-bench loads a request endpoint: requests pipelined under a window,
// requests one at a time, notifications, and batches of tasks followed until they
// end. Request k must carry the integer id k; every answer is checked (once per
// id, a result, not an error). All of them block the calling thread until done;
// any failure throws std::runtime_error with what was seen.
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

// The text of the task.submit_many request with request id `id` for batch `batch`.
using BatchText = std::function<std::string(std::uint64_t id, std::size_t batch)>;
// Called with each task of a batch once it has SUCCEEDED: the batch, the task's
// index in it, and the task object (task.wait's result). Throws to fail the run.
using TaskCheck = std::function<void(std::size_t batch, std::size_t index, const json& task)>;

// Sends batches 0..count-1 (each one task.submit_many of `batch_size` tasks) and,
// as each is answered, one task.wait for every task it made; never more than
// `window` batches unfinished. A batch is finished when every task of it has ended.
// Request ids are given in the order sent (submissions and waits alike), from 0.
// Throws at the first error answer, at a task that ends other than SUCCEEDED or
// is not final after `wait_timeout_ms`, or when `check` throws. Returns the time
// from the first send to the last answer.
std::chrono::nanoseconds run_batches(RpcConnection& connection, std::size_t count, std::size_t batch_size,
                                     std::size_t window, std::uint64_t wait_timeout_ms, const BatchText& submit,
                                     const TaskCheck& check);

}  // namespace zerotask::bench

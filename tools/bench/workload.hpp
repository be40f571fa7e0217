// The exact JSON-RPC bodies zt-bench sends. Both our broker and the reference get
// the same bytes, so the client side costs the same in both measurements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zerotask::bench {

// The function every timed task calls; the node serves it and returns null.
inline constexpr std::string_view kNoopFunction = "noop";

// The function of the tasks queued for the memory figure: one that no node serves,
// so they stay QUEUED. Its name and params ("[]") are the payload of each task.
inline constexpr std::string_view kQueuedFunction = "zt-bench-queued";
inline constexpr std::string_view kQueuedParams = "[]";
inline constexpr std::size_t kQueuedPayloadBytes = kQueuedFunction.size() + kQueuedParams.size();

// {"jsonrpc":"2.0","id":<id>,"method":"noop","params":[]}
std::string noop_call(std::uint64_t id);

// The same call as a notification (no id): fire and forget.
std::string_view noop_notification();

// task.submit_many with id <id> and `count` tasks {"function":kQueuedFunction,"params":[]}.
std::string queue_batch(std::uint64_t id, std::size_t count);

// Queuing `tasks` tasks takes queue_batch_count(tasks) batches of kQueueBatchTasks
// (the last one smaller); queue_batch_number(k, tasks) is batch k of them, with id k.
inline constexpr std::size_t kQueueBatchTasks = 1000;
std::size_t queue_batch_count(std::size_t tasks);
std::string queue_batch_number(std::uint64_t k, std::size_t total_tasks);

// task.cancel of `task_id` with request id <id>.
std::string cancel_task(std::uint64_t id, std::string_view task_id);

// The workflow figure's tasks (docs/BENCHMARKS.md, "Workflows"): functions the
// `node` executable serves, with results the bench checks.
inline constexpr std::string_view kAddFunction = "add";            // [a, b] -> a + b
inline constexpr std::string_view kMultiplyFunction = "multiply";  // [a, b] -> a * b
inline constexpr std::string_view kSumFunction = "sum";            // [[a, b, ...]] -> a + b + ...

// The task.submit_many entries (a JSON array) of one unit of a workflow, as the
// client library's chain(), group() and chord() make them; with `linked` false,
// the same tasks without depends_on and pass_results, their params already
// holding what the dependencies would have passed.
// A chain of 3: add [1, 2], multiply [10] and add [5], each after the previous one
// with its result prepended (3, 30, 35); unlinked, add [1, 2], multiply [3, 10],
// add [30, 5].
std::string chain_entries(bool linked);
// A group of `size`: add [k, 1] for k = 0..size-1 (results k + 1).
std::string group_entries(std::size_t size);
// A chord: the group of `size`, then sum [] after all of them with their results
// as a list (size * (size + 1) / 2); unlinked, sum [[1, 2, ..., size]].
std::string chord_entries(std::size_t size, bool linked);

// task.submit_many with request id <id> of `entries` (a JSON array).
std::string submit_many(std::uint64_t id, std::string_view entries);

// task.wait of `task_id` with request id <id>, answered once the task is final or
// after `timeout_ms`.
std::string wait_task(std::uint64_t id, std::string_view task_id, std::uint64_t timeout_ms);

// {"jsonrpc":"2.0","id":<id>,"method":"add","params":[a,b]}: a direct call.
std::string add_call(std::uint64_t id, std::int64_t a, std::int64_t b);

}  // namespace zerotask::bench

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

// task.cancel of `task_id` with request id <id>.
std::string cancel_task(std::uint64_t id, std::string_view task_id);

}  // namespace zerotask::bench

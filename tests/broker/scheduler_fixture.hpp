// A Scheduler over a memory store with short timers, and helpers to feed it and
// read what it sends, for the scheduler's unit tests.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "scheduler.hpp"
#include "store/memory_task_store.hpp"
#include "zerotask/rpc_error.hpp"

namespace zerotask::broker::testing {

using namespace std::chrono_literals;

inline NewTask task(std::string function, const json& params = json::array()) {
  NewTask task;
  task.function = std::move(function);
  task.params_json = params.dump();
  return task;
}

// A task of `function` in `queue`.
inline NewTask in_queue(std::string function, std::string queue, int priority = 0) {
  NewTask made = task(std::move(function));
  made.queue = std::move(queue);
  made.priority = priority;
  return made;
}

// The code of the RpcError `call` throws; 0 if it throws none.
inline int error_code_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const RpcError& error) {
    return error.code();
  }
  return 0;
}

// Task ids as text, so that a failed check shows them.
inline std::string text(const std::vector<TaskId>& ids) {
  std::string out;
  for (TaskId id : ids) out += (out.empty() ? "" : " ") + format_task_id(id);
  return out;
}

inline std::vector<FunctionSpec> serving(std::string function) {
  FunctionSpec spec;
  spec.name = std::move(function);
  return {spec};
}

inline SchedulerConfig test_config() {
  SchedulerConfig config;
  config.epoch = "epoch";
  config.heartbeat_interval = 100ms;
  config.keep_finished = 1000ms;
  config.retry_backoff = 50ms;
  config.retry_backoff_max = 200ms;
  return config;
}

struct Fixture {
  explicit Fixture(SchedulerConfig config = test_config()) : scheduler(store, outbox, config, now) {}

  MemoryTaskStore store;
  Outbox outbox;
  SteadyTime now = std::chrono::steady_clock::now();
  Scheduler scheduler;

  ReplyTo client(int id) { return ReplyTo{Envelope::for_routing_id("client"), id, nullptr, 0}; }
  void hello(const std::string& routing_id, const std::string& name, const std::string& function, std::size_t slots,
             SteadyTime at, const std::vector<LeaseToken>& running = {}) {
    scheduler.hello(routing_id, name, serving(function), slots, running, at);
  }
  TaskId submit(NewTask task, std::optional<ReplyTo> waiter) { return scheduler.submit(std::move(task), waiter).id; }
  // A node serving `function` from the named queues only.
  void hello_queues(const std::string& routing_id, const std::string& name, const std::string& function,
                    std::size_t slots, std::vector<std::string> queues, SteadyTime at,
                    const std::vector<LeaseToken>& running = {}) {
    scheduler.hello(routing_id, name, serving(function), slots, running, at, std::move(queues));
  }
  // One node.done entry with a result, or with an error {code, message}.
  void report(const std::string& routing_id, TaskId id, int attempt, const json& result) {
    scheduler.done(routing_id,
                   json::array({json{{"id", format_task_id(id)}, {"attempt", attempt}, {"result", result}}}));
  }
  void report_error(const std::string& routing_id, TaskId id, int attempt, int code = -32000,
                    const std::string& message = "boom") {
    scheduler.done(routing_id, json::array({json{{"id", format_task_id(id)},
                                                 {"attempt", attempt},
                                                 {"error", {{"code", code}, {"message", message}}}}}));
  }
  const TaskRecord& record(TaskId id) {
    const TaskRecord* found = scheduler.find(id);
    REQUIRE(found != nullptr);
    return *found;
  }

  // The tasks of every node.run sent to `routing_id` since the last call; the
  // replies sent meanwhile are kept for take_replies().
  json runs_for(const std::string& routing_id) {
    for (auto& message : outbox.take_messages()) replies.push_back(json::parse(message.body));
    json tasks = json::array();
    for (auto& message : outbox.take_hand_outs()) {
      if (message.to.routing_id() != routing_id) continue;
      auto body = json::parse(message.body);
      REQUIRE(body["method"] == "node.run");
      for (auto& task : body["params"]["tasks"]) tasks.push_back(task);
    }
    return tasks;
  }
  json take_replies() {
    runs_for("-");
    return std::exchange(replies, json::array());
  }
  json replies = json::array();
};

}  // namespace zerotask::broker::testing

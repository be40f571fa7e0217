// Scheduler: the life of every task (docs/PROTOCOL.md, section 3) and the hand-out of tasks
// to nodes. Keeps the bookkeeping the store does not: a queue per function, the
// tasks each node holds, who waits for which task, and the timers (node liveness,
// wait deadlines, forgetting finished tasks). Credit-based: a node is never sent
// more tasks than it has free slots.
//
// Pure logic: it changes records through the TaskStore and puts replies and events
// in the Outbox; the loop commits and sends them. Loop thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "node_registry.hpp"
#include "outbox.hpp"
#include "task_store.hpp"
#include "zerotask/task_id.hpp"

namespace zerotask::broker {

struct SchedulerConfig {
  std::string epoch;  // this broker run's random id, reported to peers
  std::chrono::milliseconds heartbeat_interval{1000};
  int liveness = 3;  // heartbeat intervals of silence after which a node is dropped
  std::chrono::milliseconds keep_finished{3600 * 1000};
  // The broker's own limits, told to nodes in the node.hello result; node.run
  // messages are split to stay well under max_message_bytes.
  std::size_t max_depth = 64;
  std::int64_t max_message_bytes = 16 * 1024 * 1024;
};

struct NewTask {
  std::string function;
  json params;
};

class Scheduler {
 public:
  Scheduler(TaskStore& store, Outbox& outbox, SchedulerConfig config, SteadyTime now);

  // ---- clients
  // Creates a QUEUED task. With `result_waiter`, that request is answered with the
  // task's result or error when it ends (a direct call).
  TaskId submit(NewTask task, std::optional<ReplyTo> result_waiter);
  bool is_served(const std::string& function) const { return !nodes_.serving(function).empty(); }
  const TaskRecord* find(TaskId id) { return store_.find(id); }
  TaskPage list(const TaskQuery& query) const { return store_.list(query); }
  // Answers `waiter` with the task object once it is final, or as it is at `timeout`.
  // The caller has checked that the task exists.
  void wait(TaskId id, std::chrono::milliseconds timeout, ReplyTo waiter, SteadyTime now);
  // Cancels a task that has not started. Throws RpcError (not found, not cancellable).
  json cancel(TaskId id);

  // ---- nodes (by the routing id of their DEALER)
  // Registers a node, replacing any with the same name or routing id.
  json hello(const std::string& routing_id, std::string name, std::vector<std::string> functions,
             std::size_t slots, SteadyTime now);
  // Notes that the node is alive; false if it is unknown.
  bool touch(const std::string& routing_id, SteadyTime now);
  void pull(const std::string& routing_id, std::size_t slots);
  // The results of one node.done: entries {id, attempt, result | error}. Stale or
  // malformed entries are ignored.
  void done(const std::string& routing_id, const json& results);
  void progress(const std::string& routing_id, TaskId id, std::int64_t attempt, json progress);
  // Forgets a node (it said bye, vanished or stopped reading); what it held goes
  // back to the queue.
  void drop_node(const std::string& routing_id, std::string_view reason);
  // Answers every caller still waiting with an error: the broker is stopping.
  void shutdown();

  // ---- each loop turn
  // Hands queued tasks to nodes with free slots; one node.run message per node.
  void dispatch();
  // Fires the timers that are due.
  void tick(SteadyTime now);
  SteadyTime next_deadline() const;

  // ---- introspection
  json stats(SteadyTime now) const;
  json functions() const;
  json nodes(SteadyTime now) const;
  const std::string& epoch() const { return config_.epoch; }

 private:
  struct FunctionQueue {
    std::deque<TaskId> ids;  // may hold ids no longer QUEUED; skipped when popped
    std::size_t queued = 0;
    std::size_t running = 0;
    std::size_t cursor = 0;     // round-robin position among the nodes serving it
    std::string function_json;  // the function name as a JSON string, for node.run
  };
  using Deadlines = std::multimap<SteadyTime, std::pair<TaskId, std::uint64_t>>;
  struct Waiter {
    ReplyTo to;
    bool wants_task_object = false;  // task.wait: the task object, not the result
    std::uint64_t serial = 0;
    std::optional<Deadlines::iterator> deadline;  // task.wait's timeout, if any
  };

  void set_state(TaskRecord& record, TaskState state);
  void enqueue(TaskRecord& record, bool at_front);
  void finish(TaskRecord& record, TaskState state, json result, json error);
  void finish_entry(NodeSession& session, const json& entry);
  void requeue_all(NodeSession& session);
  void answer_waiters(const TaskRecord& record);
  void forget_queue_if_idle(const std::string& function);
  void publish_task(const TaskRecord& record);
  void expire_waits(SteadyTime now);
  void forget_finished(SteadyTime now);
  std::optional<TaskId> pop_queued(const std::string& function, FunctionQueue& queue);

  TaskStore& store_;
  Outbox& outbox_;
  SchedulerConfig config_;
  SteadyTime started_;
  TaskIdGenerator ids_;
  NodeRegistry nodes_;
  std::unordered_map<std::string, FunctionQueue> queues_;
  std::set<std::string> dirty_functions_;  // may have work to hand out this turn
  std::unordered_map<TaskId, std::vector<Waiter>> waiters_;
  Deadlines wait_deadlines_;
  std::uint64_t next_waiter_serial_ = 1;
  std::deque<std::pair<SteadyTime, TaskId>> finished_;  // in the order they ended
  std::array<std::size_t, 6> counts_{};                 // tasks held, by state
  std::uint64_t submitted_ = 0;
  SteadyTime next_heartbeat_;
  SteadyTime next_liveness_check_;
};

}  // namespace zerotask::broker

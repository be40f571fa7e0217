// Scheduler: the life of every task (docs/PROTOCOL.md, section 3) and the hand-out of tasks
// to nodes. Keeps the bookkeeping the store does not: the ready queues, the leases
// each node holds, who waits for which task, which tasks wait for which (dependencies),
// idempotency keys and unique tasks, and the timers (node liveness, due times and
// retry backoffs, wait deadlines, cancel grace periods, forgetting finished tasks).
// Credit-based: a node is never sent more tasks than it has free slots. Rebuilds
// all of it from the store when constructed, so a restarted broker goes on where it
// stopped.
//
// Pure logic: it changes records through the TaskStore and puts replies and events
// in the Outbox; the loop commits and sends them. Loop thread only. Its members are
// defined by concern: scheduler.cpp (a task's life, clients), scheduler_nodes.cpp,
// scheduler_dispatch.cpp, scheduler_dependencies.cpp, scheduler_timers.cpp,
// scheduler_introspection.cpp, scheduler_metrics.cpp and scheduler_webhooks.cpp.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "function_limits.hpp"
#include "node_registry.hpp"
#include "outbox.hpp"
#include "ready_queues.hpp"
#include "store/task_store.hpp"
#include "task_metrics.hpp"
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
  std::chrono::milliseconds keep_failed{7LL * 24 * 3600 * 1000};
  int max_retries = 3;  // for tasks and functions that set none
  std::chrono::milliseconds retry_backoff{1000};
  std::chrono::milliseconds retry_backoff_max{300 * 1000};
  // Limits past which requests are refused with -32003 overloaded.
  std::size_t max_queued = 1000000;  // QUEUED and PENDING tasks
  std::size_t max_payload_bytes = 1024 * 1024;
  std::size_t max_waiting_per_peer = 10000;
  // How long a cancelled RUNNING task may take to return before it is CANCELLED anyway.
  std::chrono::milliseconds cancel_grace{10000};
};

// Who submits a task: the name of a key of the keys file, and its quota of waiting
// (QUEUED and PENDING) tasks. Empty for a broker without CURVE and for tasks the
// broker makes itself or takes from its own peers.
struct Submitter {
  std::string name;
  std::optional<std::size_t> max_queued;
};

struct NewTask {
  Submitter submitter;
  std::string function;
  std::string params_json = "[]";
  std::optional<int> max_retries;
  std::int64_t timeout_ms = 0;
  std::string idempotency_key;
  std::string queue = std::string(kDefaultQueue);
  int priority = 0;
  std::int64_t run_at = 0;         // ms since the Unix epoch; 0: at once
  std::vector<TaskId> depends_on;  // existing tasks, no repeats
  DependencyFailure on_dependency_failure = DependencyFailure::Cancel;
  PassResults pass_results = PassResults::None;
  bool unique = false;
  std::int64_t result_ttl_ms = -1;
  std::string callback_url;  // checked by parse_webhook_url; empty: none
};

// What a node.hello says of one function it serves.
struct FunctionSpec {
  std::string name;
  std::optional<int> max_retries;
  std::int64_t timeout_ms = 0;
};

// A task a node runs, by its lease token.
struct LeaseToken {
  TaskId id = 0;
  int attempt = 0;
};

struct Submitted {
  TaskId id = 0;
  TaskState state = TaskState::Queued;  // the task's state now
  // The idempotency key was known, or a unique twin is live: `id` is that task's.
  bool duplicate = false;
};

class Scheduler {
 public:
  Scheduler(TaskStore& store, Outbox& outbox, SchedulerConfig config, SteadyTime now);

  // ---- clients
  // Creates a task (QUEUED, or PENDING until its dependencies end and its time is
  // due, or CANCELLED when a dependency already failed), or finds the one submitted
  // earlier with the same idempotency key or, for a unique task, its live twin. With
  // `result_waiter`, that request is answered with the task's result or error when
  // it ends (a direct call). Throws RpcError when the store cannot write, a limit is
  // reached or a dependency is unknown; check_submissions() and
  // check_dependencies() first make a batch all-or-nothing.
  Submitted submit(NewTask task, std::optional<ReplyTo> result_waiter);
  // Throws the error that submit() would for `count` new tasks of these payloads
  // from this submitter.
  void check_submissions(std::size_t count, std::size_t largest_payload, const Submitter& submitter = {}) const;
  // Throws overloaded when params of `bytes` pass --max-payload-bytes.
  void check_payload(std::size_t bytes) const;
  // Throws store_unavailable while the store cannot write.
  void check_store_available() const;
  bool store_available() const { return store_available_; }
  // Throws invalid_params when one of `ids` is no task the broker holds.
  void check_dependencies(const std::vector<TaskId>& ids);
  bool is_served(const std::string& queue, const std::string& function) const {
    return !nodes_.serving(queue, function).empty();
  }
  const TaskRecord* find(TaskId id) { return store_.find(id); }
  TaskPage list(const TaskQuery& query) const { return store_.list(query); }
  // Answers `waiter` with the task object once it is final, or as it is at `timeout`.
  // The caller has checked that the task exists.
  void wait(TaskId id, std::chrono::milliseconds timeout, ReplyTo waiter, SteadyTime now);
  // Cancels a task: at once when it has not started; a RUNNING one is asked to
  // stop (node.cancel) and ends CANCELLED when its node reports or after the grace
  // period. Throws RpcError (not found, not cancellable when final).
  json cancel(TaskId id, SteadyTime now);
  // Queues a FAILED task again with a fresh retry budget; from then on it counts as
  // `submitter`'s (its quota), the key that queued it again. Throws RpcError (not
  // found, not retryable, a limit or quota reached).
  json retry(TaskId id, const Submitter& submitter = {});

  // Calls `hook` with every task that succeeds, as it does (the rules).
  void on_success(std::function<void(const TaskRecord&)> hook) { success_hook_ = std::move(hook); }

  // ---- function limits (limits.set, limits.remove, limits.list); throw RpcError
  json set_limits(const json& params, SteadyTime now);
  json remove_limits(const json& params);
  json list_limits() const { return limits_.list(); }
  // The task object, with why a QUEUED task is held back ("held"), if known.
  json describe(const TaskRecord& record) const;

  // ---- the store
  // While the store cannot write, submissions, cancellations and retries are refused
  // and nothing is handed out.
  void set_store_available(bool available, std::string error);

  // ---- nodes (by the routing id of their DEALER)
  // Registers a node, replacing any with the same name or routing id. `running`
  // renews the leases the node still holds from before (see docs/PROTOCOL.md, node.hello).
  // `key`: the name of the CURVE key the node connected with (empty without keys);
  // a node of the same name connected with another key is not replaced (throws
  // RpcError unauthorized).
  json hello(const std::string& routing_id, std::string name, std::vector<FunctionSpec> functions, std::size_t slots,
             const std::vector<LeaseToken>& running, SteadyTime now,
             std::vector<std::string> queues = {std::string(kDefaultQueue)}, std::string key = {});
  // Notes that the node is alive; false if it is unknown.
  bool touch(const std::string& routing_id, SteadyTime now);
  void pull(const std::string& routing_id, std::size_t slots);
  // The results of one node.done: entries {id, attempt, result | error}. Stale or
  // malformed entries are ignored.
  void done(const std::string& routing_id, const json& results);
  // A node.progress: the latest progress, and/or one more partial result.
  void progress(const std::string& routing_id, TaskId id, std::int64_t attempt, std::optional<json> progress,
                std::optional<json> partial);
  // Results or progress from a peer that is no node (any more): counted as stale.
  void refuse_from_unknown_peer(std::size_t results);
  // Forgets a node (it said bye, vanished or stopped reading). Its leases are lost:
  // each task counts a failed attempt, except after a "bye" and for the tasks in
  // `undelivered` (hand-outs that could not be sent: they never started).
  void drop_node(const std::string& routing_id, std::string_view reason, std::vector<TaskId> undelivered = {});
  // Whether `routing_id` is the connection of a node that has said hello.
  bool is_node(const std::string& routing_id);
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
  // broker.metrics (docs/PROTOCOL.md). Not const: drops the ids of tasks no longer
  // queued from the heads of the ready queues on the way.
  json metrics(SteadyTime now);
  const std::string& epoch() const { return config_.epoch; }

  // ---- webhooks: a final task with a callback_url has a delivery due; the
  // broker's webhook sender takes deliveries and reports how each ended.
  // Answers `taker` with up to `limit` deliveries, now or as soon as one is due; a
  // taker still waiting from before is answered with none.
  void take_webhooks(std::size_t limit, ReplyTo taker);
  // The delivery of the end of task `id` at `ended_at` succeeded, or gave up:
  // stored with the task, which may be forgotten from then on. False when no such
  // delivery is pending (the task ended again since, or was forgotten).
  bool webhook_done(TaskId id, std::int64_t ended_at, bool delivered);

 private:
  using Deadlines = std::multimap<SteadyTime, std::pair<TaskId, std::uint64_t>>;
  struct Waiter {
    ReplyTo to;
    bool wants_task_object = false;  // task.wait: the task object, not the result
    std::uint64_t serial = 0;
    std::optional<Deadlines::iterator> deadline;  // task.wait's timeout, if any
  };
  struct FunctionDefaults {
    std::optional<int> max_retries;
    std::int64_t timeout_ms = 0;
  };
  // Finished tasks in the order they ended; ended_at tells a stale entry (the task
  // was retried since) from the current one.
  struct Finished {
    SteadyTime at;
    TaskId id = 0;
    std::int64_t ended_at = 0;
  };

  void recover(SteadyTime now);
  // Counts a record the scheduler starts holding, in its state, and stops counting one.
  void count_new(TaskRecord& record);
  void uncount(const TaskRecord& record);
  void set_state(TaskRecord& record, TaskState state);
  // Counts the record in (add) or out of its submitter's waiting tasks; called when
  // it enters or leaves a waiting state.
  void count_waiting_by_submitter(const TaskRecord& record, bool add);
  void enqueue(TaskRecord& record, bool at_front);
  void finish(TaskRecord& record, TaskState state, json result, json error);
  // The task's dependencies are all final: CANCELLED for a failed one (unless it
  // runs anyway), else their results go into its params and it waits for its time.
  void dependencies_ended(TaskRecord& record);
  // QUEUED now, or PENDING until run_at.
  void queue_when_due(TaskRecord& record);
  // Tells the tasks waiting for `id` (now final) that it ended; iterative, so a long
  // chain cancelled at its head does not recurse.
  void settle_dependents(TaskId id);
  void cancel_running(TaskRecord& record, SteadyTime now);
  // Drops the due times of tasks no longer PENDING once they outnumber the others.
  void compact_due();
  // Sends node.cancel for `record` to the node that runs it and starts the grace period.
  void ask_node_to_cancel(const NodeSession& session, const TaskRecord& record, SteadyTime now);
  // The attempt of a task the broker was asked to cancel is over: CANCELLED.
  void end_cancelled(TaskRecord& record);
  // A RUNNING task's lease is gone with its node.
  void lease_lost(TaskRecord& record, json error, bool counts_as_failure);
  // The live (not final) unique task of this function, queue and params, if any.
  const TaskRecord* live_unique_twin(const std::string& function, const std::string& queue,
                                     const std::string& params_json);
  void remember_unique(const TaskRecord& record);
  void forget_unique(const TaskRecord& record);
  void remember_finished(const TaskRecord& record, SteadyTime at);
  // An attempt failed: retried after a backoff (at once for a lost lease) while the
  // task has retries left, FAILED otherwise.
  void fail_attempt(TaskRecord& record, json error, bool lost_lease);
  // QUEUED again, the last attempt's node, start and progress cleared.
  void queue_again(TaskRecord& record, bool at_front);
  void clear_attempt(TaskRecord& record);
  // Keeps one more partial result; its index, or nothing when past the payload limit.
  std::optional<std::size_t> add_partial(TaskRecord& record, json partial);
  void release_lease(TaskRecord& record);
  void finish_entry(NodeSession& session, const json& entry);
  // True when `session` holds the lease of `record` at `attempt`; it may claim a
  // recovered orphan of its name and of a function it serves.
  bool holds_lease(NodeSession& session, const TaskRecord& record, std::int64_t attempt);
  // True for a result the broker already took from this node (a node resends the
  // results it cannot know were delivered, see PROTOCOL.md node.done).
  bool already_taken(const NodeSession& session, const TaskRecord& record, std::int64_t attempt) const;
  static bool serves(const NodeSession& session, const std::string& function);
  void lose_leases(NodeSession& session, std::string_view reason, std::vector<TaskId> undelivered);
  void add_waiter(TaskId id, Waiter waiter);
  void reply_to_waiter(const Waiter& waiter, const TaskRecord& record);
  void answer_waiters(const TaskRecord& record);
  void waiter_gone(const Waiter& waiter);
  // Drops the lane of a queue and function nobody serves and no task waits in.
  void forget_lane_if_idle(const std::string& queue, const std::string& function);
  void mark_lanes_dirty(const NodeSession& session);
  void mark_function_dirty(const std::string& function);
  void publish_task(const TaskRecord& record);
  // The task is final: its callback delivery is due (pending, and the task pinned until it is done).
  void callback_due(TaskRecord& record);
  void answer_webhook_taker();
  void expire_waits(SteadyTime now);
  void release_due(SteadyTime now);
  void expire_cancel_grace(SteadyTime now);
  void expire_orphans(SteadyTime now);
  void forget_finished(SteadyTime now, std::deque<Finished>& finished, std::chrono::milliseconds keep);
  void forget(TaskRecord& record);
  // Forgets the task of `entry` unless it was retried since it ended, or later when
  // something still needs it (pin).
  void forget_if_unchanged(const Finished& entry);
  // Keeps a final task past its expiry: a dependent that waits for other
  // dependencies needs its result, or a node still runs it (cancelled past its
  // grace period) and holds its slot. Pins are counted.
  void pin(TaskId id) { ++pins_[id]; }
  void unpin(TaskId id);
  // `dependent` (waiting for `dependency`, now final) needs it until it starts.
  void pin_for(TaskId dependent, TaskId dependency);
  void unpin_dependencies_of(TaskId dependent);
  int max_retries_of(const TaskRecord& record) const;
  std::int64_t timeout_of(const TaskRecord& record) const;
  std::chrono::milliseconds backoff(int retry);
  std::size_t waiting_tasks() const;
  // Throws overloaded when `routing_id` already has the most waiting calls allowed.
  void check_waiter_capacity(std::string_view routing_id) const;

  TaskStore& store_;
  Outbox& outbox_;
  SchedulerConfig config_;
  SteadyTime started_;
  TaskIdGenerator ids_;
  NodeRegistry nodes_;
  ReadyQueues ready_;
  FunctionLimits limits_;
  std::unordered_map<std::string, std::string> held_;            // function -> why its queued tasks wait
  std::multimap<SteadyTime, std::string> limit_wakeups_;         // when a rate-limited function has a token again
  std::unordered_map<std::string, SteadyTime> limit_wakeup_of_;  // function -> its pending wakeup: one each
  std::unordered_map<std::string, std::size_t> running_by_function_;
  std::set<std::string> dirty_lanes_;  // lane keys that may have work to hand out this turn
  std::unordered_map<TaskId, std::vector<Waiter>> waiters_;
  std::unordered_map<std::string, std::size_t> waiters_by_peer_;  // routing id -> waiting calls
  Deadlines wait_deadlines_;
  std::uint64_t next_waiter_serial_ = 1;
  std::unordered_map<std::string, FunctionDefaults> function_defaults_;
  std::unordered_map<std::string, TaskId> idempotency_keys_;
  std::unordered_multimap<std::size_t, TaskId> unique_tasks_;   // by the hash of function, queue and params
  std::unordered_map<TaskId, std::vector<TaskId>> dependents_;  // a task not final yet -> the tasks waiting for it
  std::unordered_map<TaskId, std::size_t> pins_;
  std::unordered_map<TaskId, std::int64_t> expired_while_pinned_;  // -> the ended_at that expired
  std::unordered_map<TaskId, std::vector<TaskId>> pinned_by_;  // waiting dependent -> the final dependencies it pins
  std::deque<TaskId> settling_;  // final tasks whose dependents settle_dependents() has yet to tell
  bool settling_now_ = false;
  std::multimap<SteadyTime, TaskId> due_;  // PENDING tasks by their run_at (due time or end of backoff)
  std::multimap<SteadyTime, LeaseToken> cancel_deadlines_;  // RUNNING tasks asked to cancel, by end of grace
  // RUNNING tasks recovered from the store that no node has reclaimed yet, with the
  // end of their lease.
  std::unordered_map<TaskId, SteadyTime> orphans_;
  std::deque<Finished> finished_;                // SUCCEEDED and CANCELLED
  std::deque<Finished> failed_;                  // FAILED: dead letters, kept longer
  std::multimap<SteadyTime, Finished> own_ttl_;  // final tasks with their own result_ttl_ms, by when they go
  std::array<std::size_t, 6> counts_{};          // tasks held, by state
  // Tasks held, by function and state; a function with no task has no tally.
  std::unordered_map<std::string, FunctionTally> tallies_;
  // QUEUED and PENDING tasks by the key that submitted them (Submitter), for quotas.
  std::unordered_map<std::string, std::size_t> waiting_by_submitter_;
  std::uint64_t submitted_ = 0;
  std::uint64_t retried_ = 0;
  std::uint64_t stale_results_ = 0;
  std::uint64_t ended_succeeded_ = 0;  // tasks that ended so since start
  std::uint64_t ended_failed_ = 0;
  std::uint64_t ended_cancelled_ = 0;
  RunTimeHistogram run_times_;
  // Webhooks: final tasks whose delivery is due and not taken yet, with the end it is for.
  std::deque<std::pair<TaskId, std::int64_t>> webhooks_due_;
  std::optional<ReplyTo> webhook_taker_;
  std::size_t webhook_take_limit_ = 0;
  std::size_t webhooks_pending_ = 0;  // tasks whose callback_state is Pending
  std::uint64_t webhooks_delivered_ = 0;
  std::uint64_t webhooks_failed_ = 0;
  std::function<void(const TaskRecord&)> success_hook_;
  bool store_available_ = true;
  std::string store_error_;
  std::mt19937_64 random_;
  SteadyTime next_heartbeat_;
  SteadyTime next_liveness_check_;
};

}  // namespace zerotask::broker

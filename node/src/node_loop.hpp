// NodeLoop: the node's I/O thread. It owns the DEALER to the broker's request
// endpoint and the SUB to its event endpoint, for its whole life and alone; it hands
// tasks to the WorkerPool and sends what the workers leave in the Outbox.
//
// What it does on the wire (docs/PROTOCOL.md, section 5): hello on start, with the
// queues served; node.run -> jobs; node.cancel -> the stop of each task named, by id
// and attempt; results -> node.done per loop turn (split to stay within the broker's
// limits from its hello reply); progress and partial results -> node.progress;
// node.heartbeat every interval; hello again on unknown_node; a fresh DEALER and a
// hello when the broker is silent for 3 intervals or publishes another epoch. On
// stop: node.pull {slots: 0}, wait for running tasks up to the grace period, fire the
// stop tokens of the ones still running, node.bye.
//
// Results and partial results are never dropped on the node's side: they share one
// ordered queue of kept messages (a task's partials before its result), and a
// message the DEALER cannot take (it would block) waits and goes out on a later turn.
// Progress is a hint: only a task's latest goes out, and the DEALER may drop it. Tasks still running from
// before a rejoin keep their workers busy: the hello after it offers only the free
// ones and lists those tasks (so that the broker renews their leases), and node.pull
// gives each worker back as its task finishes.
//
// Everything here runs on the thread that calls run(); the only thing other threads
// touch is the stop flag (and the Wakeup that goes with it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <zmq.hpp>

#include "dispatcher.hpp"
#include "outbox.hpp"
#include "running_tasks.hpp"
#include "worker_pool.hpp"
#include "zerotask/node.hpp"
#include "zerotask/socket_options.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::node_impl {

// The options of the node's DEALER: the broker is trusted, so what it sends is not
// size-limited (a node.run of big params must not drop the connection).
inline SocketLimits dealer_limits() {
  SocketLimits limits;
  limits.max_message_bytes = -1;
  return limits;
}

class NodeLoop {
 public:
  // `config` is complete: name, threads and event endpoint resolved (an empty event
  // endpoint means no SUB). Every reference must outlive the loop. `dealer` are the
  // DEALER's socket options (tests shrink its high-water mark).
  NodeLoop(const NodeConfig& config, const Dispatcher& dispatcher, zmq::context_t& context, Wakeup& wakeup,
           Outbox& outbox, WorkerPool& pool, const std::atomic<bool>& stop_requested,
           const SocketLimits& dealer = dealer_limits());
  NodeLoop(const NodeLoop&) = delete;
  NodeLoop& operator=(const NodeLoop&) = delete;

  // Serves until the stop flag is set, then shuts down as described above. Throws
  // zmq::error_t when an endpoint cannot be connected.
  void run();

 private:
  using Clock = std::chrono::steady_clock;
  enum class Phase { Serving, Draining };

  // A task's progress in one batch, keyed without copying its id.
  struct ProgressKey {
    std::string_view id;
    int attempt;
    bool operator==(const ProgressKey&) const = default;
  };
  struct ProgressKeyHash {
    std::size_t operator()(const ProgressKey& key) const;
  };

  void open_dealer(Clock::time_point now);
  void open_subscriber();
  // Offers the workers not busy with tasks from before the last rejoin, and lists
  // the tasks still running.
  void say_hello();
  // Drops the queued jobs (the broker has requeued them), counts the running ones as
  // old, and says hello again, on a new DEALER (a new routing identity) when
  // `fresh_connection`.
  void rejoin(std::string_view reason, bool fresh_connection);
  // Forgets the jobs no worker has started.
  void discard_queued();
  void begin_shutdown(Clock::time_point now);
  void finish();

  void poll_once(Clock::time_point now);
  std::chrono::milliseconds time_to_next_deadline(Clock::time_point now) const;
  void on_timers(Clock::time_point now);

  void read_dealer();
  void read_subscriber();
  void handle_frame(std::string_view text);
  void handle_request(rpc::Request& request);
  void handle_run(json& params);
  void handle_cancel(json& params);
  void handle_response(const rpc::Response& response);
  void handle_hello_reply(const rpc::Response& response);
  void handle_event(std::string_view body);

  // Takes what the workers left: sends the progress, encodes the partials and then
  // the results into unsent_ (sent by send_pending()).
  void collect_outbox();
  void flush_outbox();
  // Sends the kept messages waiting in unsent_, oldest first, and a node.pull when
  // the free slots differ from the ones the broker was last told.
  void send_pending();
  bool has_pending() const;
  void send_progress();
  void keep_partials();
  unsigned free_slots() const;
  SendLimits send_limits() const;
  // Sends without blocking; a message the DEALER does not take is dropped (logged).
  void send(const std::string& text);
  // False when the message did not go out (the DEALER would block, or failed).
  bool try_send(const std::string& text);

  const NodeConfig& config_;
  const Dispatcher& dispatcher_;
  zmq::context_t& context_;
  Wakeup& wakeup_;
  Outbox& outbox_;
  WorkerPool& pool_;
  const std::atomic<bool>& stop_requested_;
  const std::vector<FunctionEntry> functions_;

  zmq::socket_t dealer_;
  zmq::socket_t subscriber_;
  Phase phase_ = Phase::Serving;
  std::string epoch_;  // from the last hello reply; empty until it arrives
  std::chrono::milliseconds interval_;
  std::int64_t next_request_id_ = 1;
  std::int64_t hello_id_ = 0;
  Clock::time_point last_heard_;
  Clock::time_point next_heartbeat_;
  Clock::time_point grace_deadline_;
  const SocketLimits dealer_options_;
  // The broker's limits from its hello reply; the defaults until it arrives.
  std::size_t broker_max_depth_;
  std::size_t broker_max_message_bytes_;

  // Tasks accepted whose results have not been taken from the outbox yet.
  RunningTasks running_;
  // Tasks accepted whose results have not been sent yet (in flight or unsent).
  std::size_t outstanding_ = 0;
  // Kept messages the DEALER has not taken yet, oldest first.
  std::vector<KeptMessage> unsent_;
  // Kept messages sent but not known to have reached the broker: the answer to
  // a later heartbeat on the same connection proves that they did (the broker
  // handles a connection's messages in order and commits before it answers). A
  // rejoin sends them again, so a broker restart or a dropped connection loses none.
  struct SentMessage {
    KeptMessage message;
    std::int64_t confirmed_by = 0;  // the id of the first request sent after it
  };
  std::deque<SentMessage> unconfirmed_;
  bool backed_up_ = false;  // unsent_ was kept back (logged once per episode)
  // How many times the node rejoined: the generation of the tasks it accepts now.
  std::uint64_t generation_ = 0;
  // Tasks of an earlier generation (accepted before the last rejoin) still running:
  // their workers are not free, whatever the broker believes.
  std::size_t old_running_ = 0;
  // The slots the broker was last offered (node.hello or node.pull).
  unsigned announced_slots_ = 0;

  // Reused every turn so the hot path does not allocate them again.
  std::vector<Job> jobs_;
  OutboxBatch batch_;
  std::vector<const ProgressReport*> latest_progress_;
  std::unordered_set<ProgressKey, ProgressKeyHash> progress_seen_;
};

}  // namespace zerotask::node_impl

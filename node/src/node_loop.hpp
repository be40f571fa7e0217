// NodeLoop: the node's I/O thread. It owns the DEALER to the broker's request
// endpoint and the SUB to its event endpoint, for its whole life and alone; it hands
// tasks to the WorkerPool and sends what the workers leave in the Outbox.
//
// What it does on the wire (docs/PROTOCOL.md, section 5): hello on start; node.run
// -> jobs; results -> one node.done per loop turn; progress -> node.progress;
// node.heartbeat every interval; hello again on unknown_node; a fresh DEALER and a
// hello when the broker is silent for 3 intervals or publishes another epoch. On
// stop: node.pull {slots: 0}, wait for running tasks up to the grace period, fire
// the stop tokens of the ones still running, node.bye.
//
// Everything here runs on the thread that calls run(); the only thing other threads
// touch is the stop flag (and the Wakeup that goes with it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "dispatcher.hpp"
#include "outbox.hpp"
#include "worker_pool.hpp"
#include "zerotask/node.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::node_impl {

class NodeLoop {
 public:
  // `config` is complete: name, threads and event endpoint resolved (an empty event
  // endpoint means no SUB). Every reference must outlive the loop.
  NodeLoop(const NodeConfig& config, const Dispatcher& dispatcher, zmq::context_t& context, Wakeup& wakeup,
           Outbox& outbox, WorkerPool& pool, const std::atomic<bool>& stop_requested);
  NodeLoop(const NodeLoop&) = delete;
  NodeLoop& operator=(const NodeLoop&) = delete;

  // Serves until the stop flag is set, then shuts down as described above. Throws
  // zmq::error_t when an endpoint cannot be connected.
  void run();

 private:
  using Clock = std::chrono::steady_clock;
  enum class Phase { Serving, Draining };

  void open_dealer(Clock::time_point now);
  void open_subscriber();
  void say_hello();
  // Drops the queued jobs (the broker has requeued them) and says hello again, on a
  // new DEALER (a new routing identity) when `fresh_connection`.
  void rejoin(std::string_view reason, bool fresh_connection);
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
  void handle_response(const rpc::Response& response);
  void handle_hello_reply(const rpc::Response& response);
  void handle_event(std::string_view body);

  void flush_outbox();
  void send_progress();
  void send(const std::string& text);

  const NodeConfig& config_;
  const Dispatcher& dispatcher_;
  zmq::context_t& context_;
  Wakeup& wakeup_;
  Outbox& outbox_;
  WorkerPool& pool_;
  const std::atomic<bool>& stop_requested_;
  const std::vector<std::string> functions_;

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
  // Tasks accepted whose results have not been taken from the outbox yet.
  std::size_t outstanding_ = 0;

  // Reused every turn so the hot path does not allocate them again.
  std::vector<Job> jobs_;
  OutboxBatch batch_;
  std::vector<const ProgressReport*> latest_progress_;
};

}  // namespace zerotask::node_impl

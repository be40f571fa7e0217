// BrokerLoop: the broker's one thread. Owns the ROUTER (request endpoint) and the
// XPUB (event endpoint) sockets and a Wakeup for stop(); each turn it reads what
// is waiting (at most a bounded number of messages, so the timers keep running),
// lets the scheduler hand out work and sends the hand-outs, commits the store, and
// only then sends the replies and events of that turn (group commit).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "outbox.hpp"
#include "periodic_schedules.hpp"
#include "request_handler.hpp"
#include "rule_engine.hpp"
#include "scheduler.hpp"
#include "security/access_keys.hpp"
#include "security/zap_handler.hpp"
#include "store/memory_task_store.hpp"
#include "store/sqlite_task_store.hpp"
#include "zerotask/broker.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::broker {

class BrokerLoop {
 public:
  // What one turn sends, once the store has committed the turn's changes.
  struct Turn {
    std::vector<OutgoingMessage> messages;
    std::vector<OutgoingEvent> events;
  };

  // With `keys` (which must outlive the loop), both sockets require CURVE with
  // config.curve_secret_key and accept the keys listed, each limited to its role.
  BrokerLoop(const BrokerConfig& config, std::map<std::string, BrokerMethod, std::less<>> custom_methods,
             const AccessKeys* keys = nullptr);

  // Besides its configured endpoints, the loop binds its sockets to these in-process
  // endpoints of context(): the HTTP gateway and the webhook sender, on threads of
  // their own, connect there with sockets of their own.
  static constexpr std::string_view kInprocRequests = "inproc://zerotask-requests";
  static constexpr std::string_view kInprocEvents = "inproc://zerotask-events";

  // Binds the sockets to their endpoints; run() does it first when bind() was not
  // called. Call from the thread that will own the sockets (and run them).
  void bind();
  // Binds if not yet bound, and serves until request_stop().
  void run();
  // Thread-safe.
  void request_stop();
  // Thread-safe (a ZeroMQ context is); outlives every socket made in it, since the
  // loop is destroyed last.
  zmq::context_t& context() { return context_; }

 private:
  void read_requests(SteadyTime now);
  void read_subscriptions();
  // Commits the turn's changes, then sends what depends on them; holds it back
  // while the store cannot write.
  void flush();
  void send(Turn turn);
  // Adds `turn` to what waits for a successful commit: all of it when `whole`, else
  // only its messages to nodes; sends the rest.
  void hold(Turn turn, bool whole);
  // Sends the turn's hand-outs; a node that cannot be reached is dropped, and the
  // tasks that did not reach it are queued again without a failed attempt.
  void hand_out();
  // Sends `message`; a peer that cannot be reached is dropped as a node.
  void send_message(const OutgoingMessage& message);
  // False when the peer is gone or its queue is full (the message is lost).
  bool deliver(const OutgoingMessage& message);

  BrokerConfig config_;
  zmq::context_t context_;
  const AccessKeys* keys_;
  // Declared before the sockets, so it answers until they are closed.
  std::unique_ptr<ZapHandler> zap_;
  zmq::socket_t router_;
  zmq::socket_t events_;
  Wakeup wakeup_;
  std::atomic<bool> stopping_{false};
  bool bound_ = false;
  std::unique_ptr<TaskStore> store_;
  Outbox outbox_;
  bool store_failing_ = false;
  // What waits for a commit that succeeds, from the turns whose commit failed.
  Turn held_;
  Scheduler scheduler_;
  PeriodicSchedules schedules_;
  RuleEngine rules_;
  RequestHandler handler_;
};

// The event endpoint of a configuration: the one given, or the request endpoint's
// port + 1; throws std::invalid_argument when it cannot be derived.
std::string event_endpoint_of(const BrokerConfig& config);

// A fresh random broker epoch: 16 hex digits.
std::string make_epoch();

}  // namespace zerotask::broker

// BrokerLoop: the broker's one thread. Owns the ROUTER (request endpoint) and the
// XPUB (event endpoint) sockets and a Wakeup for stop(); each turn it reads what
// is waiting (at most a bounded number of messages, so the timers keep running),
// lets the scheduler hand out work, commits the store, and only then sends the
// replies, task hand-outs and events of that turn.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "memory_task_store.hpp"
#include "outbox.hpp"
#include "request_handler.hpp"
#include "scheduler.hpp"
#include "zerotask/broker.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::broker {

class BrokerLoop {
 public:
  BrokerLoop(const BrokerConfig& config, std::map<std::string, BrokerMethod, std::less<>> custom_methods);

  // Binds and serves until request_stop(). Call from the thread that will own the sockets.
  void run();
  // Thread-safe.
  void request_stop();

 private:
  void read_requests(SteadyTime now);
  void read_subscriptions();
  void flush();
  void send_message(OutgoingMessage& message);

  BrokerConfig config_;
  zmq::context_t context_;
  zmq::socket_t router_;
  zmq::socket_t events_;
  Wakeup wakeup_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<TaskStore> store_;
  Outbox outbox_;
  Scheduler scheduler_;
  RequestHandler handler_;
};

// A fresh random broker epoch: 16 hex digits.
std::string make_epoch();

}  // namespace zerotask::broker

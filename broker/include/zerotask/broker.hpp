// zerotask::Broker: keeps tasks and hands them out to nodes.
//
// A Broker owns one loop thread that owns both of its sockets (the ROUTER request
// endpoint and the XPUB event endpoint); nothing else touches them. Configure and
// register custom methods before run(); run() blocks the calling thread until
// stop() is called from any thread (stop() is thread-safe). The wire protocol is
// docs/PROTOCOL.md.
//
//   zerotask::Broker broker({.endpoint = "tcp://*:5555"});
//   broker.register_method("broker.answer", [](const zerotask::json&) { return 42; });
//   broker.run();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "zerotask/busy_poll.hpp"
#include "zerotask/json_rpc.hpp"
#include "zerotask/limits.hpp"

namespace zerotask {

struct BrokerConfig {
  std::string endpoint = "tcp://*:5555";  // request endpoint (ROUTER)
  std::string event_endpoint;             // empty: the request endpoint's port + 1
  std::string store = "memory";           // "memory" is the only store of this version
  std::chrono::milliseconds heartbeat_interval{1000};  // a node silent for 3 intervals is dropped
  std::chrono::milliseconds keep_finished{3600 * 1000};  // how long finished tasks stay queryable
  std::int64_t max_message_bytes = 16 * 1024 * 1024;
  // After each loop turn the broker keeps polling without sleeping for this long
  // before it blocks: less latency under load for some CPU time. 0 turns it off.
  std::chrono::microseconds busy_poll = kDefaultBusyPoll;
  std::size_t max_depth = kDefaultMaxDepth;  // at most kMaxConfigurableDepth
};

// A custom broker.* method: params in, result out; throw zerotask::RpcError for a
// JSON-RPC error (any other exception becomes -32603 internal_error). Runs on the
// broker's loop thread, so it must be quick.
using BrokerMethod = std::function<json(const json& params)>;

class Broker {
 public:
  explicit Broker(BrokerConfig config);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // `name` must start with "broker." and must not be a built-in method.
  // Throws std::invalid_argument otherwise. Before run() only.
  void register_method(std::string name, BrokerMethod method);

  // Binds both endpoints (throws zmq::error_t if one cannot be bound) and serves
  // until stop().
  void run();
  // Thread-safe; returns at once. run() returns after telling subscribers.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zerotask

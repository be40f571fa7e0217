// zerotask::Broker: keeps tasks and hands them out to nodes.
//
// A Broker owns one loop thread that owns both of its sockets (the ROUTER request
// endpoint and the XPUB event endpoint); nothing else touches them. Beside it run
// the webhook sender's threads and, with BrokerConfig::http, the HTTP gateway's:
// clients of the loop with sockets of their own. Configure and
// register custom methods before run(); run() blocks the calling thread until
// stop() is called from any thread (stop() is thread-safe). The wire protocol is
// docs/PROTOCOL.md.
//
//   zerotask::Broker broker({.endpoint = "tcp://127.0.0.1:5555"});
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

// When the durable store's commit returns. Full: after an fsync of every commit
// (nothing acknowledged is lost, even on power loss). Normal: after the write to the
// log, with fsyncs at checkpoints only (survives any crash of the broker process; a
// power loss or OS crash can lose the last commits).
enum class StoreSync { Full, Normal };

struct BrokerConfig {
  std::string endpoint = "tcp://127.0.0.1:5555";  // request endpoint (ROUTER)
  std::string event_endpoint;                     // empty: the request endpoint's port + 1
  // The SQLite file of the durable store, or "memory" for a store that is gone when
  // the broker exits.
  std::string store = "zerotask.db";
  StoreSync sync = StoreSync::Full;
  std::chrono::milliseconds heartbeat_interval{1000};    // a node silent for 3 intervals is dropped
  std::chrono::milliseconds keep_finished{3600 * 1000};  // how long succeeded and cancelled tasks stay queryable
  std::chrono::milliseconds keep_failed{7LL * 24 * 3600 * 1000};  // how long failed tasks (dead letters) stay
  // Retries of failed attempts (docs/PROTOCOL.md, "Delivery and retries"): the
  // default budget, and the base and cap of the exponential backoff with full jitter.
  int max_retries = 3;
  std::chrono::milliseconds retry_backoff{1000};
  std::chrono::milliseconds retry_backoff_max{300 * 1000};
  // How long a cancelled RUNNING task may take to return before it is CANCELLED anyway.
  std::chrono::milliseconds cancel_grace{10000};
  // A rules file (docs/PROTOCOL.md, "Rules"); empty: no rules. A file that does not
  // parse stops the broker at start with the rule's name and the reason.
  std::string rules_file;
  // Limits past which requests are answered -32003 overloaded.
  std::size_t max_queued = 1000000;          // QUEUED and PENDING tasks
  std::size_t max_payload_bytes = 1 << 20;   // a task's params, serialized
  std::size_t max_waiting_per_peer = 10000;  // calls waiting for an answer, per connection
  std::int64_t max_message_bytes = 16 * 1024 * 1024;
  // After each loop turn the broker keeps polling without sleeping for this long
  // before it blocks: less latency under load for some CPU time. 0 turns it off, and
  // so does a loop thread that may run on one CPU only (worthwhile_busy_poll).
  std::chrono::microseconds busy_poll = kDefaultBusyPoll;
  std::size_t max_depth = kDefaultMaxDepth;  // at most kMaxConfigurableDepth
  // The HTTP gateway (docs/HTTP.md): "HOST:PORT" to serve on, e.g. "127.0.0.1:8080"
  // or "*:8080" for every interface; empty: no HTTP.
  std::string http;
  // Webhooks (a task's callback_url, docs/HTTP.md): POSTs before a delivery gives
  // up, the wait after the first failed one (doubling after each, at most 10
  // minutes), and the timeout of one POST. Delivered whether or not `http` is set.
  int webhook_attempts = 8;
  std::chrono::milliseconds webhook_backoff{1000};
  std::chrono::milliseconds webhook_timeout{5000};
  // CURVE (docs/SECURITY.md). With a keys file, both endpoints require CURVE and
  // accept only the public keys it lists, each limited to its role; the broker's
  // own secret key (Z85) is then required. Both empty: no CURVE.
  std::string keys_file;
  std::string curve_secret_key;
  // run() refuses, unless this is set, endpoints other machines can reach (anything
  // but loopback, ipc:// and inproc://) without a keys file, and an HTTP address
  // beyond loopback (the gateway has no authentication of its own).
  bool insecure = false;
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

  // Binds both endpoints (throws zmq::error_t if one cannot be bound) and the HTTP
  // address if configured (throws std::invalid_argument for a malformed one,
  // std::runtime_error when it cannot be bound), and serves until stop(). Throws
  // std::invalid_argument for addresses it refuses (see `insecure`) and for a
  // keys file without a secret key or the other way round, std::runtime_error for a
  // keys file that cannot be read.
  void run();
  // Thread-safe; returns at once. run() returns after telling subscribers.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zerotask

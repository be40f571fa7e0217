// zerotask::Node: serves registered functions to a broker.
//
// A Node serves the tasks of the named queues it lists in its hello. It owns one I/O
// thread (the only thread that touches its sockets: a DEALER to the broker's request
// endpoint and a SUB to its event endpoint), `threads` worker threads that run the
// functions and one that fires the stop tokens of tasks past their timeout.
// register_function() is called before run(); run() blocks the calling thread until
// stop() is called from any thread (stop() is thread-safe). The calling thread of
// run() is the I/O thread, and all threads (workers, timer, ZeroMQ's) start inside
// run(): constructing a Node starts none, so a program can block signals after
// constructing it and before run(). See docs/PROTOCOL.md, section 5, for what goes on
// the wire.
//
//   zerotask::Node node({.broker_endpoint = "tcp://127.0.0.1:5555"});
//   node.register_function("add", [](const zerotask::json& p, zerotask::TaskContext&) {
//     return p.at(0).get<long>() + p.at(1).get<long>();
//   });
//   node.run();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "zerotask/curve.hpp"
#include "zerotask/json_rpc.hpp"

namespace zerotask {

struct NodeConfig {
  std::string broker_endpoint = "tcp://127.0.0.1:5555";
  std::string event_endpoint;  // empty: the broker endpoint's port + 1
  unsigned threads = 0;        // worker threads; 0: std::thread::hardware_concurrency()
  std::string name;            // empty: "<hostname>-<pid>-<random>"
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds shutdown_grace{10000};  // how long stop() lets running tasks finish
  // The named queues whose tasks this node runs (a task goes only to nodes serving its
  // queue); empty: {"default"}, the queue of tasks submitted without one.
  std::vector<std::string> queues;
  // For a broker that requires CURVE (docs/SECURITY.md): this node's key pair and
  // the broker's public key. nullopt: no CURVE.
  std::optional<CurveCredentials> curve;
};

// What a running function may know and do. Valid only during the call; safe to use
// from the worker thread that runs the function.
class TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual const std::string& task_id() const = 0;
  virtual int attempt() const = 0;
  // Sends `progress` (any JSON) to the broker, which stores it and publishes it on
  // task.<id>. Cheap; safe to call often: when reports come faster than the node
  // sends them, only a task's latest one goes out.
  virtual void report_progress(json progress) = 0;
  // Sends the conventional progress {"done": done, "total": total, "message":
  // message} (message left out when empty): the shape tools such as `zt watch` know
  // how to show. Coalesced like any progress. (A class implementing TaskContext adds
  // `using TaskContext::report_progress;` so that its override does not hide this.)
  void report_progress(std::int64_t done, std::int64_t total, std::string message = {});
  // Sends `partial`, a piece of the result, as node.progress with "partial": the
  // broker appends it to the task's partials and publishes it on task.<id>, so that a
  // consumer can use the pieces while the task still runs. Unlike progress, partials
  // are never coalesced: each call sends one, in order and before the task's result,
  // and the node keeps them like results while the connection is backed up or the
  // broker has not confirmed them. So each costs a message: send pieces, not ticks.
  // Only a partial too large or too deep for the broker's limits is dropped (with a
  // warning); the broker keeps at most its --max-payload-bytes of partials per task.
  virtual void report_partial(json partial) = 0;
  // Fires when the task runs past its timeout (the node then reports a
  // zerotask::TimedOut error whatever the function returns), when the broker cancels
  // the task (node.cancel; the node then reports a zerotask::Cancelled error whatever
  // the function returns; of a timeout and a cancel, the first decides), or when the
  // node is stopping past its grace period (whatever the function returns then is
  // not reported: the node says goodbye without it and the broker hands the task out
  // again). Long functions should check it and return early.
  virtual std::stop_token stop_token() const = 0;
};

// A function's result is any JSON; a thrown exception becomes a task_failed error
// carrying the exception's what() and its type.
using TaskFunction = std::function<json(const json& params, TaskContext& context)>;

// A function's defaults, announced in node.hello: the broker applies them to the
// function's tasks that do not set their own. Unset fields leave the broker's
// defaults (its --max-retries; no timeout).
struct FunctionOptions {
  std::optional<int> max_retries;                    // 0 to 100 failed attempts retried
  std::optional<std::chrono::milliseconds> timeout;  // 1 ms to 24 h per attempt
};

class Node {
 public:
  // Throws std::invalid_argument for a config it cannot run: an empty broker
  // endpoint, a name over 128 bytes, over 100,000 threads, a heartbeat interval not
  // above zero, a negative grace, or over 100 queues or a queue name outside 1 to 128
  // bytes.
  explicit Node(NodeConfig config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Registers `function` under `name` with its defaults, replacing an earlier one.
  // Before run() only (std::logic_error after); std::invalid_argument for a name
  // outside 1 to 128 bytes, an empty function, or options out of their ranges.
  void register_function(std::string name, TaskFunction function, FunctionOptions options = {});
  void register_function(std::string name, std::function<json(const json& params)> function,
                         FunctionOptions options = {});

  // Connects, says hello, serves until stop(), then stops pulling, lets running
  // tasks finish within shutdown_grace, hands back the rest and says goodbye.
  // Returns when every worker has returned. Once per Node; throws std::logic_error
  // when called again or with no function registered, zmq::error_t for an endpoint
  // ZeroMQ cannot connect to, std::invalid_argument for malformed CURVE keys, and
  // std::runtime_error when the broker refuses the node's key (its role is not node,
  // or it may not serve one of the functions).
  void run();
  // Thread-safe; returns at once. run() returns once the shutdown is done; a stop()
  // before run() makes run() return at once.
  void stop();

  const std::string& name() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zerotask

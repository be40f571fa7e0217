// Test doubles for the node suites.
//
// FakeBroker: a ROUTER bound to a free port and an XPUB on the port after it, driven
// by the test thread (its only user) with explicit, time-limited waits. Messages a
// test has not asked for yet wait in a backlog, so expect() does not depend on the
// order in which unrelated messages arrive.
//
// RunningNode: a zerotask::Node whose run() is on its own thread; the destructor
// stops and joins it.
//
// Gate: a latch a test opens to let blocked functions return.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <zmq.hpp>

#include "zerotask/json_rpc.hpp"
#include "zerotask/node.hpp"

namespace zerotask::testing {

using namespace std::chrono_literals;

// One message from a node: its routing identity, its parsed body and its size.
struct Received {
  std::string identity;
  json body;
  std::size_t bytes = 0;  // of the body's text

  std::string method() const { return body.value("method", ""); }
  const json& params() const { return body.at("params"); }
  // The first entry of a node.done's results.
  const json& first_result() const { return params().at("results").at(0); }
};

class FakeBroker {
 public:
  // `receive_high_water_mark`: how many messages from a node ZeroMQ queues before it
  // stops reading that connection; `receive_buffer_bytes`: the kernel's receive
  // buffer of each connection (-1: the system's). Small ones make a test that does
  // not read back the node up soon.
  explicit FakeBroker(int receive_high_water_mark = 1000, int receive_buffer_bytes = -1);
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  const std::string& event_endpoint() const { return event_endpoint_; }

  // When true (the default), heartbeats are answered with {"epoch"} and never
  // returned; when false they are returned like any other message and unanswered.
  void answer_heartbeats(bool answer) { answer_heartbeats_ = answer; }

  // The next message (from the backlog first), or nullopt after `timeout`.
  std::optional<Received> receive(std::chrono::milliseconds timeout = 5s);
  // The first message with that method, leaving the others in the backlog.
  std::optional<Received> expect(std::string_view method, std::chrono::milliseconds timeout = 5s);
  // Expects node.hello and answers it with `epoch`, `heartbeat_ms` and the members of
  // `limits` (max_depth, max_message_bytes). nullopt if no hello came.
  std::optional<Received> accept_hello(std::string epoch = "e1", int heartbeat_ms = 1000,
                                       const json& limits = json::object());
  // True when a message with that method is waiting in the backlog.
  bool backlog_has(std::string_view method) const;

  void send(const std::string& identity, const json& body);
  void send_text(const std::string& identity, std::string_view text);
  void reply(const Received& request, json result);
  void reply_error(const Received& request, int code, const std::string& message);
  // Sends node.run with these task objects.
  void run(const std::string& identity, json tasks);

  // Waits until a SUB has subscribed to the "broker" topic.
  bool wait_for_subscriber(std::chrono::milliseconds timeout = 5s);
  void publish(const std::string& topic, const json& body);

  const std::string& epoch() const { return epoch_; }

 private:
  std::optional<Received> read(std::chrono::milliseconds timeout);

  zmq::context_t context_{1};
  zmq::socket_t router_;
  zmq::socket_t events_;
  std::string endpoint_;
  std::string event_endpoint_;
  std::string epoch_ = "e1";
  bool answer_heartbeats_ = true;
  std::deque<Received> backlog_;
};

// A task object for node.run.
json task(const std::string& id, const std::string& function, json params, int attempt = 1);

class RunningNode {
 public:
  RunningNode(NodeConfig config, const std::function<void(Node&)>& setup);
  ~RunningNode();
  RunningNode(const RunningNode&) = delete;
  RunningNode& operator=(const RunningNode&) = delete;

  Node& node() { return node_; }
  bool finished() const { return finished_.load(); }
  bool wait_finished(std::chrono::milliseconds timeout = 5s) const;

 private:
  Node node_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

// A config for a node of `threads` workers talking to `broker`.
NodeConfig node_config(const FakeBroker& broker, unsigned threads = 2,
                       std::chrono::milliseconds heartbeat = std::chrono::milliseconds(1000));

class Gate {
 public:
  void open();
  // Blocks until open() or, so that no test can hang on it, 20 seconds; false then.
  bool wait();

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

}  // namespace zerotask::testing

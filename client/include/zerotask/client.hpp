// zerotask::Client: submits calls to a broker and gets their results.
//
// A Client owns one I/O thread, the only thread that touches its sockets (a DEALER
// to the broker's request endpoint, and a SUB to the event endpoint opened the first
// time a progress callback is set). Every public member function is thread-safe:
// one Client may be shared by many threads, with thousands of calls and futures in
// flight over its one connection. Progress callbacks run on the I/O thread: they
// must not make blocking calls on the Client (those throw std::logic_error) nor
// destroy it.
//
// The connection outlives broker restarts: ZeroMQ reconnects by itself, and every
// request still waiting for an answer when the connection dropped is sent again
// once it is back, submissions with the same idempotency key (so a task is never
// made twice) and a future's long polls with them. A request whose connection is
// not back within connect_timeout fails with BrokerUnreachable; none waits past
// its own deadline.
//
//   zerotask::Client client("tcp://127.0.0.1:5555");
//   zerotask::json sum = client.call("add", 5, 6);          // 11
//   zerotask::TaskFuture task = client.submit("sleep", 500);
//   task.wait(std::chrono::seconds(2));
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zerotask/errors.hpp"
#include "zerotask/json_rpc.hpp"
#include "zerotask/task_future.hpp"

namespace zerotask {

struct ClientOptions {
  std::string event_endpoint;  // empty: the broker endpoint's port + 1
  // How long a request may wait for a connection to the broker (at the start, or
  // after the connection dropped) before it fails with BrokerUnreachable.
  std::chrono::milliseconds connect_timeout{3000};
  // Default deadline of call(); CallOptions::timeout overrides it per call.
  std::chrono::milliseconds call_timeout{30000};
};

// The task.submit params a caller may set (docs/PROTOCOL.md, section 4). The broker
// refuses values out of range with ProtocolError(kInvalidParams).
struct SubmitOptions {
  // Fail with ProtocolError(kNoNode) at once if no node serves the function.
  bool require_node = false;
  // Failed attempts retried before the task is FAILED (0 to 100); unset: the
  // function's default, else the broker's --max-retries.
  std::optional<int> max_retries;
  // How long one attempt may run before it fails with kTimedOut (sent as
  // timeout_ms); unset: the function's default, else no limit. Not a deadline for
  // the caller: see CallOptions::timeout and TaskFuture::wait.
  std::optional<std::chrono::milliseconds> task_timeout;
  // While the broker holds a task submitted with this key, a submission with the
  // same key makes no task: it follows the first one. Empty: a key the client makes
  // for this submission alone. Either way the key is what lets the client send the
  // submission again after a lost connection without making a second task.
  std::string idempotency_key;
};

// A call is a submission that waits for the task's end.
struct CallOptions : SubmitOptions {
  std::chrono::milliseconds timeout{0};  // 0: ClientOptions::call_timeout
};

class Client {
 public:
  // Connects in the background; requests wait up to connect_timeout for the
  // connection. A bind address ("tcp://*:5555") means that port on 127.0.0.1.
  // Throws std::invalid_argument for an endpoint ZeroMQ cannot use or a timeout
  // that is not positive.
  explicit Client(std::string broker_endpoint, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs `function` with the arguments as its params array and returns its result.
  // Throws TaskFailed, TimedOut, Cancelled, BrokerBusy, ProtocolError or
  // BrokerUnreachable. A call that times out leaves its task with the broker; the
  // TimedOut message says when no node serves the function.
  template <class... Args>
  json call(const std::string& function, Args&&... args) {
    return call_params(function, json::array({json(std::forward<Args>(args))...}));
  }
  json call_params(const std::string& function, json params, CallOptions options = {});

  // Enqueues `function` and returns at once; the future follows the task.
  template <class... Args>
  TaskFuture submit(const std::string& function, Args&&... args) {
    return submit_params(function, json::array({json(std::forward<Args>(args))...}));
  }
  TaskFuture submit_params(const std::string& function, json params, SubmitOptions options = {});

  // A future for a task submitted elsewhere (by id).
  TaskFuture attach(const std::string& task_id);

  // Sends any JSON-RPC request (task.get, broker.stats, ...) and returns its result;
  // a JSON-RPC error is thrown as ProtocolError (BrokerBusy for overloaded and
  // store_unavailable). A task.submit without an idempotency_key is given one, and
  // so is each task.submit_many entry. After a lost connection the request is sent
  // again, except a direct call (a method outside task., node., broker. and rpc.),
  // which fails with BrokerUnreachable instead: it carries no key. A task.cancel or
  // task.retry that took effect before the connection dropped answers its second
  // sending as the task now is (not_cancellable, not_retryable).
  json request(const std::string& method, json params = nullptr,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  const std::string& broker_endpoint() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace zerotask

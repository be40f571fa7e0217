// zerotask::Client: submits calls to a broker and gets their results.
//
// A Client owns one I/O thread, the only thread that touches its sockets (a DEALER
// to the broker's request endpoint, and a SUB to the event endpoint opened the first
// time a progress or partial-result callback is set). Every public member function
// is thread-safe: one Client may be shared by many threads, with thousands of calls
// and futures in flight over its one connection. Progress and partial-result
// callbacks run on the I/O thread: they must not make blocking calls on the Client
// (those throw std::logic_error) nor destroy it.
//
// The connection outlives broker restarts: ZeroMQ reconnects by itself, and every
// request still waiting for an answer when the connection dropped is sent again
// once it is back, submissions with the same idempotency key (so a task is never
// made twice) and a future's long polls with them; so are those a broker that is
// shut down answers with "the broker is stopping". A request whose connection is
// not back within connect_timeout fails with BrokerUnreachable, as does one whose
// deadline passes before the broker was reached; none waits past its own deadline.
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

#include "zerotask/curve.hpp"
#include "zerotask/errors.hpp"
#include "zerotask/group_future.hpp"
#include "zerotask/json_rpc.hpp"
#include "zerotask/submit_options.hpp"
#include "zerotask/task_future.hpp"
#include "zerotask/task_spec.hpp"

namespace zerotask {

struct ClientOptions {
  std::string event_endpoint;  // empty: the broker endpoint's port + 1
  // How long a request may wait for a connection to the broker (at the start, or
  // after the connection dropped) before it fails with BrokerUnreachable.
  std::chrono::milliseconds connect_timeout{3000};
  // Default deadline of call(); CallOptions::timeout overrides it per call.
  std::chrono::milliseconds call_timeout{30000};
  // For a broker that requires CURVE (docs/SECURITY.md): this client's key pair and
  // the broker's public key. nullopt: no CURVE.
  std::optional<CurveCredentials> curve;
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

  // Workflows: each is one task.submit_many request, so the broker makes all of
  // its tasks or none, and runs each once the tasks it depends on have SUCCEEDED
  // (their options.on_dependency_failure says what happens when one does not).
  // Throw std::invalid_argument for an empty list, or a linked task (a chain step
  // after the first, a chord body) whose options set depends_on or pass_results:
  // the workflow sets those.
  //
  // Step k runs after step k-1, with its result as its first param (pass_results
  // Prepend); the future is the last step's.
  TaskFuture chain(std::vector<TaskSpec> steps);
  // Independent tasks, followed together.
  GroupFuture group(std::vector<TaskSpec> members);
  // `body` runs after every task of `header`, with the array of their results
  // as its first param (pass_results List); the future is the body's.
  TaskFuture chord(std::vector<TaskSpec> header, TaskSpec body);

  // A future for a task submitted elsewhere (by id).
  TaskFuture attach(const std::string& task_id);

  // Sends any JSON-RPC request (task.get, broker.stats, ...) and returns its result;
  // a JSON-RPC error is thrown as ProtocolError (BrokerBusy for overloaded and
  // store_unavailable). A task.submit without an idempotency_key is given one, and
  // so is each task.submit_many entry. After a lost connection the request is sent
  // again, except a direct call (a method outside the broker's namespaces, see
  // rpc::is_reserved_method), which fails with BrokerUnreachable instead: it carries
  // no key. A task.cancel, task.retry or schedule.remove that took effect before the
  // connection dropped answers its second sending as things now are
  // (not_cancellable, not_retryable, not_found); an event.emit sent again makes
  // nothing new while the tasks it made wait (they are unique).
  json request(const std::string& method, json params = nullptr,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  const std::string& broker_endpoint() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace zerotask

// detail::Connection: a Client's link to its broker, shared by the Client and its
// futures.
//
// It owns the I/O thread, which owns the IoLoop (and so every socket) for its whole
// life. Any thread hands work to it through a mutex-protected queue and a Wakeup
// the loop polls; the wake-up is raised only when the queue goes from empty to not
// empty. Completions and event callbacks run on the I/O thread; code running
// there (a completion that sends the next request) reaches the loop directly.
// The constructor returns once the sockets exist; close() (also run by the
// destructor) returns once the thread is gone, after every request still in flight
// has failed with BrokerUnreachable("client closed").
//
// Every submission it sends carries an idempotency key (the caller's, or one made
// from a random id of this Connection and a counter), so that the I/O thread may
// send it again after a lost connection without making a second task.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include <zmq.hpp>

#include "future_state.hpp"
#include "outcome.hpp"
#include "zerotask/client.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::detail {

using Clock = std::chrono::steady_clock;

// `now + timeout`, with timeouts beyond a year taken as a year so that "forever"
// never overflows a clock or a condition variable.
Clock::time_point deadline_after(Clock::time_point now, std::chrono::milliseconds timeout);

// Runs exactly once per request, with how it ended.
using Completion = std::function<void(Outcome&&)>;

// A request on its way to the broker.
struct OutgoingRequest {
  std::uint64_t id = 0;
  std::string body;                      // the encoded JSON-RPC request, carrying `id`
  std::chrono::milliseconds timeout{0};  // counted from when the I/O thread takes it
  // Sent again over a new connection; false for direct calls only, which have no
  // idempotency key: a second sending could run the function twice.
  bool resendable = true;
  Completion done;
};

// An event callback to attach to a future's task.
struct EventWatch {
  std::shared_ptr<FutureState> state;
  EventCallback callback;
};

using Command = std::variant<OutgoingRequest, EventWatch>;

class IoLoop;

class Connection {
 public:
  // A bind address ("tcp://*:5555") is taken as the same port on 127.0.0.1. Throws
  // std::invalid_argument for an endpoint ZeroMQ cannot connect to or a timeout
  // that is not positive.
  Connection(std::string broker_endpoint, ClientOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void close();

  const std::string& broker_endpoint() const { return broker_endpoint_; }
  const ClientOptions& options() const { return options_; }

  // A request with a fresh id; a timeout of 0 means options().call_timeout. A
  // task.submit (or task.submit_many entry) without an idempotency_key gets one.
  OutgoingRequest make_request(std::string_view method, json params, std::chrono::milliseconds timeout,
                               Completion done);
  // Hands a request to the I/O thread. Once the client is closed, `done` runs at
  // once on the calling thread.
  void send(OutgoingRequest&& request);
  // Sends and blocks until the outcome is known. Throws std::logic_error on the I/O
  // thread, where waiting would deadlock.
  Outcome send_and_wait(std::string_view method, json params, std::chrono::milliseconds timeout);
  // Calls `callback` on the I/O thread with each event published for the future's
  // task (docs/PROTOCOL.md, section 6).
  // Throws std::invalid_argument when there is no event endpoint, BrokerUnreachable
  // once the client is closed.
  void watch_events(std::shared_ptr<FutureState> state, EventCallback callback);

  // I/O thread only (no-ops elsewhere, which happens only while closing): start
  // delivering events to a future once its id is known, stop once it is final.
  void start_events(const std::shared_ptr<FutureState>& state);
  void stop_events(const std::shared_ptr<FutureState>& state);

  bool on_io_thread() const { return std::this_thread::get_id() == io_thread_id_.load(std::memory_order_acquire); }

 private:
  void run(std::promise<void>& ready);
  // False (and `command` untouched) once the client is closing.
  bool post(Command& command);
  void add_idempotency_keys(std::string_view method, json& params);

  const std::string broker_endpoint_;
  ClientOptions options_;
  std::atomic<std::uint64_t> next_id_{1};
  const std::string key_prefix_;  // a random id of this Connection, then '-'
  std::atomic<std::uint64_t> next_key_{1};
  zmq::context_t context_;
  Wakeup wakeup_;

  std::mutex queue_mutex_;
  std::vector<Command> commands_;  // guarded by queue_mutex_
  bool closing_ = false;           // guarded by queue_mutex_

  // Set by the I/O thread before the constructor returns, cleared once it is gone:
  // a later thread may be given the same id.
  std::atomic<std::thread::id> io_thread_id_;
  IoLoop* loop_ = nullptr;  // the I/O thread's loop; used on that thread only
  std::thread thread_;
};

}  // namespace zerotask::detail

// detail::IoLoop: the sockets of one Client and everything about them, owned by the
// Client's I/O thread (made, used and destroyed there; no member is thread-safe).
//
// - A DEALER to the broker's request endpoint. Bodies go out as one frame. A
//   request is handed to ZeroMQ only while connected (and, with ZMQ_IMMEDIATE, only
//   to a live connection), so a request that fails for want of a connection was
//   never sent; requests waiting for the connection or for room in the socket wait
//   in `unsent_`, oldest first.
// - A PAIR on the DEALER's socket monitor: a handshake that succeeds means connected,
//   a disconnection after it means not connected. A request that has waited
//   connect_timeout while not connected fails with BrokerUnreachable. Requests sent
//   over a connection that dropped cannot be answered (the broker routes answers
//   to the connection a request came on): resendable ones (all but direct calls)
//   go out again on the next connection, the others fail at once. A resendable
//   request the broker answers with "the broker is stopping" (its waiting callers'
//   answer when it shuts down) waits the same way: it goes out again once the
//   connection has dropped and come back, to the restarted broker.
// - A SUB on the event endpoint, made the first time an event callback is set,
//   subscribed to "task.<id>" for each task with callbacks.
// Every request in flight has a completion that runs exactly once: on an answer,
// when its deadline passes, when the broker cannot be reached, or on close().
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "connection.hpp"

namespace zerotask::detail {

class IoLoop {
 public:
  struct Settings {
    std::string broker_endpoint;
    std::string event_endpoint;
    std::chrono::milliseconds connect_timeout;
    std::optional<CurveCredentials> curve;
  };

  // Makes and connects the sockets; throws std::invalid_argument if the broker
  // endpoint is not one ZeroMQ can connect to.
  IoLoop(zmq::context_t& context, Settings settings);
  ~IoLoop();
  IoLoop(const IoLoop&) = delete;
  IoLoop& operator=(const IoLoop&) = delete;

  void dispatch(OutgoingRequest&& request);
  void watch(EventWatch&& watch);
  void start_events(const std::shared_ptr<FutureState>& state);
  void stop_events(const std::shared_ptr<FutureState>& state);

  // Waits until a socket or `wake_fd` is ready or the next deadline passes, then
  // handles what is ready. True when `wake_fd` is readable.
  bool poll_once(int wake_fd);

  // Fails every request in flight with BrokerUnreachable(message); requests
  // dispatched afterwards fail the same way at once.
  void close(const std::string& message);

 private:
  struct Pending {
    std::string body;  // kept until sent, and for good when resendable
    Completion done;
    Clock::time_point added_at;
    Clock::time_point deadline;
    bool transmitted = false;
    bool resendable = false;
  };
  using PendingMap = std::unordered_map<std::uint64_t, Pending>;
  // (deadline, request id); entries of requests already completed are skipped.
  using Deadline = std::pair<Clock::time_point, std::uint64_t>;

  bool transmit(Pending& pending);
  void transmit_unsent();
  void complete(PendingMap::iterator it, Outcome&& outcome);
  void push_deadline(Clock::time_point deadline, std::uint64_t id);

  void read_replies(bool drain_all);
  void handle_reply(std::string_view body);
  void read_monitor();
  void on_connected();
  void on_disconnected(Clock::time_point now);
  void read_events();
  void deliver_event(std::string_view topic, std::string_view body);

  void expire_deadlines(Clock::time_point now);
  void fail_unreachable(Clock::time_point now);
  std::optional<Clock::time_point> next_wakeup() const;
  void subscribe(const std::string& topic);

  zmq::context_t& context_;
  const Settings settings_;
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;
  std::optional<zmq::socket_t> sub_;
  // inproc connections raise no monitor events; they count as always connected.
  const bool monitored_;
  bool connected_;
  Clock::time_point disconnected_since_;
  // Why the last handshake with the broker failed (": ..."), for BrokerUnreachable.
  std::string handshake_failure_;

  PendingMap pending_;
  std::deque<std::uint64_t> unsent_;
  // Resendable requests answered "the broker is stopping": sent again after the
  // connection drops and comes back (on_disconnected moves them into unsent_).
  std::vector<std::uint64_t> held_for_restart_;
  std::vector<Deadline> deadlines_;  // a min-heap on the deadline

  std::unordered_map<std::string, std::vector<std::shared_ptr<FutureState>>> watchers_;  // topic -> futures

  bool closed_ = false;
  std::string closed_message_;
};

}  // namespace zerotask::detail

// Outbox: what one turn of the broker loop will send, collected while the turn's
// requests are handled: hand-outs of tasks to nodes, sent at once, and replies and
// events, sent only after the store has committed the turn's changes. Also
// knows which event topics have subscribers: callers on the hot path ask before
// building an event, and publish() never serializes one nobody listens to. Pure
// logic, no sockets; loop thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "envelope.hpp"
#include "zerotask/json_rpc.hpp"
#include "zerotask/task_id.hpp"

namespace zerotask::broker {

// The responses of one JSON-RPC batch, sent together once every slot is filled.
struct BatchReply {
  Envelope envelope;
  json responses = json::array();
  std::size_t remaining = 0;
};

// Where the answer to one request goes.
struct ReplyTo {
  Envelope envelope;
  json id;
  std::shared_ptr<BatchReply> batch;  // null unless the request came in a batch
  std::size_t slot = 0;               // its place in batch->responses
};

struct OutgoingMessage {
  Envelope to;
  std::string body;
  std::vector<TaskId> tasks;  // the tasks a node.run hands out: not started if it cannot be sent
};

struct OutgoingEvent {
  std::string topic;
  std::string body;
};

class Outbox {
 public:
  void reply_result(const ReplyTo& to, json result);
  void reply_error(const ReplyTo& to, const rpc::Error& error);
  // A node.run of `tasks`: it needs no commit first (see BrokerLoop::run).
  void hand_out(Envelope to, std::string body, std::vector<TaskId> tasks);
  // A notification to a peer that depends on the turn's changes (node.cancel):
  // sent with the replies, after the commit.
  void notify(Envelope to, std::string body);

  // Subscriptions as the XPUB socket reports them (prefix match, as in ZeroMQ).
  void subscribe(std::string prefix) { subscriptions_.insert(std::move(prefix)); }
  void unsubscribe(const std::string& prefix) { subscriptions_.erase(prefix); }
  bool has_subscriber(std::string_view topic) const;
  bool has_any_subscriber() const { return !subscriptions_.empty(); }
  // Queues the event when someone subscribes to its topic.
  void publish(std::string_view topic, const json& body);

  std::vector<OutgoingMessage> take_hand_outs() { return std::exchange(hand_outs_, {}); }
  std::vector<OutgoingMessage> take_messages() { return std::exchange(messages_, {}); }
  std::vector<OutgoingEvent> take_events() { return std::exchange(events_, {}); }

 private:
  void reply(const ReplyTo& to, json response);

  std::vector<OutgoingMessage> hand_outs_;
  std::vector<OutgoingMessage> messages_;
  std::vector<OutgoingEvent> events_;
  std::set<std::string, std::less<>> subscriptions_;
};

}  // namespace zerotask::broker

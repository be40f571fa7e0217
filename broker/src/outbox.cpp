#include "outbox.hpp"

#include <utility>

namespace zerotask::broker {

void Outbox::reply_result(const ReplyTo& to, json result) {
  reply(to, rpc::result_object(to.id, std::move(result)));
}

void Outbox::reply_error(const ReplyTo& to, const rpc::Error& error) {
  reply(to, rpc::error_object(to.id, error));
}

void Outbox::reply(const ReplyTo& to, json response) {
  if (!to.batch) {
    messages_.push_back({to.envelope, rpc::to_text(response), {}});
    return;
  }
  to.batch->responses[to.slot] = std::move(response);
  if (--to.batch->remaining == 0) messages_.push_back({to.batch->envelope, rpc::to_text(to.batch->responses), {}});
}

void Outbox::hand_out(Envelope to, std::string body, std::vector<TaskId> tasks) {
  hand_outs_.push_back({std::move(to), std::move(body), std::move(tasks)});
}

void Outbox::notify(Envelope to, std::string body) {
  messages_.push_back({std::move(to), std::move(body), {}});
}

bool Outbox::has_subscriber(std::string_view topic) const {
  if (subscriptions_.empty()) return false;
  for (std::size_t length = 0; length <= topic.size(); ++length) {
    if (subscriptions_.contains(topic.substr(0, length))) return true;
  }
  return false;
}

void Outbox::publish(std::string_view topic, const json& body) {
  if (!has_subscriber(topic)) return;
  events_.push_back({std::string(topic), rpc::to_text(body)});
}

}  // namespace zerotask::broker

#include "fake_broker.hpp"

#include "zerotask/endpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "test_support.hpp"

namespace zerotask::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds left_until(Clock::time_point deadline) {
  return std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

}  // namespace

FakeBroker::FakeBroker(int receive_high_water_mark, int receive_buffer_bytes)
    : router_(context_, zmq::socket_type::router), events_(context_, zmq::socket_type::xpub) {
  endpoint_ = free_tcp_endpoint();
  event_endpoint_ = *default_event_endpoint(endpoint_);
  router_.set(zmq::sockopt::linger, 0);
  router_.set(zmq::sockopt::rcvhwm, receive_high_water_mark);
  router_.set(zmq::sockopt::rcvbuf, receive_buffer_bytes);
  router_.set(zmq::sockopt::router_mandatory, 1);
  events_.set(zmq::sockopt::linger, 0);
  router_.bind(endpoint_);
  events_.bind(event_endpoint_);
}

std::optional<Received> FakeBroker::read(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, left_until(deadline));
    if (!(item.revents & ZMQ_POLLIN)) return std::nullopt;
    zmq::message_t identity;
    zmq::message_t body;
    (void)router_.recv(identity);
    (void)router_.recv(body);
    // The node sends [body] with no delimiter: anything else is a bug this test
    // should see.
    if (body.more()) throw std::runtime_error("the node sent more than one frame after its identity");
    Received message{identity.to_string(), json::parse(body.to_string_view()), body.size()};
    if (answer_heartbeats_ && message.method() == "node.heartbeat") {
      reply(message, json{{"epoch", epoch_}});
      continue;
    }
    return message;
  }
}

std::optional<Received> FakeBroker::receive(std::chrono::milliseconds timeout) {
  if (!backlog_.empty()) {
    Received message = std::move(backlog_.front());
    backlog_.pop_front();
    return message;
  }
  return read(timeout);
}

std::optional<Received> FakeBroker::expect(std::string_view method, std::chrono::milliseconds timeout) {
  auto found = std::find_if(backlog_.begin(), backlog_.end(), [&](const Received& m) { return m.method() == method; });
  if (found != backlog_.end()) {
    Received message = std::move(*found);
    backlog_.erase(found);
    return message;
  }
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto message = read(left_until(deadline));
    if (!message) return std::nullopt;
    if (message->method() == method) return message;
    backlog_.push_back(std::move(*message));
  }
}

std::optional<Received> FakeBroker::accept_hello(std::string epoch, int heartbeat_ms, const json& limits) {
  auto hello = expect("node.hello");
  if (!hello) return std::nullopt;
  epoch_ = std::move(epoch);
  json result{{"epoch", epoch_}, {"heartbeat_ms", heartbeat_ms}};
  result.update(limits);
  reply(*hello, std::move(result));
  return hello;
}

bool FakeBroker::backlog_has(std::string_view method) const {
  return std::any_of(backlog_.begin(), backlog_.end(), [&](const Received& m) { return m.method() == method; });
}

void FakeBroker::send_text(const std::string& identity, std::string_view text) {
  router_.send(zmq::buffer(identity), zmq::send_flags::sndmore);
  router_.send(zmq::buffer(text), zmq::send_flags::none);
}

void FakeBroker::send(const std::string& identity, const json& body) {
  send_text(identity, body.dump());
}

void FakeBroker::reply(const Received& request, json result) {
  send(request.identity, rpc::result_object(request.body.at("id"), std::move(result)));
}

void FakeBroker::reply_error(const Received& request, int code, const std::string& message) {
  send(request.identity, rpc::error_object(request.body.at("id"), rpc::Error{code, message, nullptr}));
}

void FakeBroker::run(const std::string& identity, json tasks) {
  send_text(identity, rpc::encode_notification("node.run", json{{"tasks", std::move(tasks)}}));
}

bool FakeBroker::wait_for_subscriber(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    zmq::pollitem_t item{events_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, left_until(deadline));
    if (!(item.revents & ZMQ_POLLIN)) return false;
    zmq::message_t subscription;
    (void)events_.recv(subscription);
    // An XPUB hands up subscriptions as "\x01" followed by the topic prefix.
    if (subscription.to_string_view() == std::string_view("\x01"
                                                          "broker"))
      return true;
  }
}

void FakeBroker::publish(const std::string& topic, const json& body) {
  events_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
  events_.send(zmq::buffer(body.dump()), zmq::send_flags::none);
}

json task(const std::string& id, const std::string& function, json params, int attempt) {
  return json{{"id", id}, {"function", function}, {"params", std::move(params)}, {"attempt", attempt}};
}

RunningNode::RunningNode(NodeConfig config, const std::function<void(Node&)>& setup) : node_(std::move(config)) {
  setup(node_);
  thread_ = std::thread([this] {
    try {
      node_.run();
    } catch (const std::exception& error) {
      // Escaping the thread would abort every remaining test; the test that waits
      // for messages from this node fails instead.
      std::fprintf(stderr, "Node::run() threw: %s\n", error.what());
    }
    finished_.store(true);
  });
}

RunningNode::~RunningNode() {
  node_.stop();
  thread_.join();
}

bool RunningNode::wait_finished(std::chrono::milliseconds timeout) const {
  return wait_until([this] { return finished_.load(); }, timeout);
}

NodeConfig node_config(const FakeBroker& broker, unsigned threads, std::chrono::milliseconds heartbeat) {
  NodeConfig config;
  config.broker_endpoint = broker.endpoint();
  config.threads = threads;
  config.name = "test-node";
  config.heartbeat_interval = heartbeat;
  config.shutdown_grace = 5s;
  return config;
}

void Gate::open() {
  {
    std::lock_guard lock(mutex_);
    open_ = true;
  }
  opened_.notify_all();
}

bool Gate::wait() {
  std::unique_lock lock(mutex_);
  return opened_.wait_for(lock, 20s, [this] { return open_; });
}

}  // namespace zerotask::testing

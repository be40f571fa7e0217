#include "reference_broker.hpp"

#include <cstdint>
#include <deque>
#include <iterator>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "zerotask/json_rpc.hpp"
#include "zerotask/socket_options.hpp"

namespace zerotask::bench {
namespace {

class ReferenceBroker {
 public:
  ReferenceBroker(const std::string& endpoint, std::size_t window)
      : window_(window), router_(context_, zmq::socket_type::router) {
    apply_socket_limits(router_, SocketLimits{});
    router_.set(zmq::sockopt::router_mandatory, 1);
    router_.bind(endpoint);
  }

  [[noreturn]] void run() {
    std::vector<zmq::message_t> frames;
    while (true) {
      frames.clear();
      if (!zmq::recv_multipart(router_, std::back_inserter(frames))) continue;
      if (frames.size() < 2) continue;
      if (!worker_.empty() && frames.front().to_string_view() == worker_) {
        from_worker(frames);
      } else {
        from_client(frames.front(), frames.back().to_string_view());
      }
    }
  }

 private:
  // [worker, client, body]: the worker's answer, routed back to the client (an
  // empty client frame: the answer to a notification, for no one).
  void from_worker(std::vector<zmq::message_t>& frames) {
    if (frames.size() != 3) return;
    json answer = json::parse(frames[2].to_string_view(), nullptr, false);
    if (answer.is_discarded()) return;
    if (frames[1].size() > 0) send({frames[1].to_string_view(), rpc::to_text(answer)});
    if (window_ == 0) return;
    if (in_flight_ > 0) --in_flight_;
    if (!waiting_.empty()) {
      forward(waiting_.front().client, std::move(waiting_.front().message));
      waiting_.pop_front();
    }
  }

  void from_client(const zmq::message_t& sender, std::string_view body) {
    json message = json::parse(body, nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
      send({sender.to_string_view(), rpc::encode_error(nullptr, {rpc::kParseError, "malformed JSON", nullptr})});
      return;
    }
    auto method = message.find("method");
    auto id = message.find("id");
    bool is_request = id != message.end();
    if (method != message.end() && *method == "node.hello") {
      worker_ = sender.to_string();
      return;
    }
    if (method != message.end() && *method == "broker.ping") {
      if (is_request) {
        send(
            {sender.to_string_view(), rpc::encode_result(*id, {{"pong", true}, {"workers", worker_.empty() ? 0 : 1}})});
      }
      return;
    }
    if (worker_.empty()) {
      if (is_request) send({sender.to_string_view(), rpc::encode_error(*id, {rpc::kNoNode, "no worker", nullptr})});
      return;
    }
    std::string client = sender.to_string();
    if (window_ > 0 && !is_request) {
      // A window counts answers, so the worker answers notifications too: each
      // gets an id here, and its answer goes to no one.
      message["id"] = next_notification_id_++;
      client.clear();
    }
    if (window_ > 0 && in_flight_ >= window_) {
      waiting_.push_back(Waiting{std::move(client), std::move(message)});
      return;
    }
    forward(client, std::move(message));
  }

  void forward(const std::string& client, json message) {
    if (window_ > 0) ++in_flight_;
    send({worker_, client, rpc::to_text(message)});
  }

  // A peer that has gone away is dropped, as a real broker would.
  void send(std::initializer_list<std::string_view> parts) {
    std::size_t left = parts.size();
    try {
      for (std::string_view part : parts) {
        router_.send(zmq::const_buffer(part.data(), part.size()),
                     --left > 0 ? zmq::send_flags::sndmore : zmq::send_flags::none);
      }
    } catch (const zmq::error_t& error) {
      if (error.num() != EHOSTUNREACH) throw;
    }
  }

  // A message that waits for room in the window, parsed; serialized when it goes.
  struct Waiting {
    std::string client;
    json message;
  };

  // Requests at the worker at a time (0: no limit); the rest wait in arrival order.
  std::size_t window_;
  std::size_t in_flight_ = 0;
  std::deque<Waiting> waiting_;
  std::int64_t next_notification_id_ = 1;
  zmq::context_t context_{1};
  zmq::socket_t router_;
  std::string worker_;
};

}  // namespace

void serve_reference_broker(const std::string& endpoint, std::size_t window) {
  ReferenceBroker broker(endpoint, window);
  broker.run();
}

}  // namespace zerotask::bench

#include "raw_peer.hpp"

#include <stdexcept>
#include <vector>

#include "zerotask/socket_options.hpp"

namespace zerotask::testing {

RawPeer::RawPeer(zmq::context_t& context, const std::string& endpoint, zmq::socket_type type,
                 const std::optional<CurveCredentials>& curve)
    : socket_(context, type) {
  socket_.set(zmq::sockopt::linger, 0);
  if (curve) apply_curve_client(socket_, *curve);
  socket_.connect(endpoint);
}

void RawPeer::send_text(const std::string& body) {
  socket_.send(zmq::buffer(body), zmq::send_flags::none);
}

std::optional<std::string> RawPeer::receive_text(std::chrono::milliseconds timeout) {
  std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
  if (zmq::poll(items, timeout) == 0) return std::nullopt;
  std::string body;
  zmq::message_t frame;
  do {
    (void)socket_.recv(frame, zmq::recv_flags::none);
    body = frame.to_string();
  } while (frame.more());
  return body;
}

nlohmann::json RawPeer::receive(std::chrono::milliseconds timeout) {
  auto body = receive_text(timeout);
  if (!body) throw std::runtime_error("no message within the timeout");
  return nlohmann::json::parse(*body);
}

nlohmann::json RawPeer::call(const std::string& method, const nlohmann::json& params,
                             std::chrono::milliseconds timeout) {
  int id = next_id_++;
  nlohmann::json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) request["params"] = params;
  send(request);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("no response to " + method + " within the timeout");
    auto response = receive(left);
    if (response.is_object() && response.value("id", nlohmann::json()) == id) return response;
  }
}

}  // namespace zerotask::testing

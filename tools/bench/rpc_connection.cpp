#include "rpc_connection.hpp"

#include <stdexcept>

#include "zerotask/socket_options.hpp"

namespace zerotask::bench {

RpcConnection::RpcConnection(zmq::context_t& context, const std::string& endpoint,
                             std::chrono::milliseconds reconnect_interval)
    : endpoint_(endpoint), socket_(context, zmq::socket_type::dealer) {
  apply_socket_limits(socket_, SocketLimits{});
  socket_.set(zmq::sockopt::linger, 0);
  if (reconnect_interval.count() > 0)
    socket_.set(zmq::sockopt::reconnect_ivl, static_cast<int>(reconnect_interval.count()));
  socket_.connect(endpoint_);
}

void RpcConnection::send(std::string_view body) {
  socket_.send(zmq::const_buffer(body.data(), body.size()), zmq::send_flags::none);
}

bool RpcConnection::receive(zmq::message_t& body, std::chrono::milliseconds timeout) {
  auto flags = zmq::recv_flags::none;
  if (timeout.count() <= 0) {
    flags = zmq::recv_flags::dontwait;
  } else if (receive_timeout_ms_ != timeout.count()) {
    receive_timeout_ms_ = static_cast<int>(timeout.count());
    socket_.set(zmq::sockopt::rcvtimeo, receive_timeout_ms_);
  }
  if (!socket_.recv(body, flags)) return false;
  while (body.more()) {
    // An envelope frame: the body is the last frame, and the rest of a message
    // that has begun is already here.
    (void)socket_.recv(body, zmq::recv_flags::none);
  }
  return true;
}

json RpcConnection::request(std::string_view method, const json& params, std::chrono::milliseconds timeout) {
  json id = "zt-bench-" + std::to_string(next_request_++);
  send(rpc::encode_request(id, method, params));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  zmq::message_t body;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !receive(body, left)) return nullptr;
    json response = json::parse(body.to_string_view(), nullptr, false);
    if (response.is_object() && response.value("id", json()) == id) return response;
  }
}

json RpcConnection::call(std::string_view method, const json& params, std::chrono::milliseconds timeout) {
  json response = request(method, params, timeout);
  std::string what = std::string(method) + " on " + endpoint_;
  if (response.is_null()) {
    throw std::runtime_error("no answer to " + what + " within " + std::to_string(timeout.count()) + " ms");
  }
  if (auto error = response.find("error"); error != response.end()) {
    throw std::runtime_error(what + " failed: " + rpc::to_text(*error));
  }
  if (!response.contains("result"))
    throw std::runtime_error(what + ": response without result: " + rpc::to_text(response));
  return response["result"];
}

}  // namespace zerotask::bench

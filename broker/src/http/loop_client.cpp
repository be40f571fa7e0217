#include "http/loop_client.hpp"

#include <algorithm>

namespace zerotask::broker {
namespace {

// Polls in slices this long, so that stop() is seen quickly.
constexpr std::chrono::milliseconds kPollSlice{100};

}  // namespace

std::optional<json> LoopClient::exchange(const json& message, std::chrono::milliseconds timeout) const {
  if (stopping_.load()) return std::nullopt;
  zmq::socket_t socket(context_, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(endpoint_);
  std::string text = rpc::to_text(message);
  if (!socket.send(zmq::buffer(text), zmq::send_flags::dontwait)) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  while (!stopping_.load()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    try {
      zmq::poll(&item, 1, std::min(left, kPollSlice));
    } catch (const zmq::error_t& error) {
      if (error.num() != EINTR) return std::nullopt;
      continue;
    }
    if (!(item.revents & ZMQ_POLLIN)) continue;
    zmq::message_t reply;
    if (!socket.recv(reply, zmq::recv_flags::dontwait)) continue;
    json parsed = json::parse(reply.to_string_view(), nullptr, false);
    if (parsed.is_discarded()) return std::nullopt;
    return parsed;
  }
  return std::nullopt;
}

std::optional<json> LoopClient::call(std::string_view method, const json& params,
                                     std::chrono::milliseconds timeout) const {
  json request = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}};
  if (!params.is_null()) request["params"] = params;
  return exchange(request, timeout);
}

}  // namespace zerotask::broker

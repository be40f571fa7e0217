// RawPeer: a bare DEALER (or REQ) socket speaking JSON-RPC text to a broker, for
// tests that check the wire protocol itself. Every receive has a timeout. One
// thread only.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "zerotask/curve.hpp"

namespace zerotask::testing {

class RawPeer {
 public:
  // With `curve`, the socket is a CURVE client of a broker that requires it.
  RawPeer(zmq::context_t& context, const std::string& endpoint, zmq::socket_type type = zmq::socket_type::dealer,
          const std::optional<CurveCredentials>& curve = std::nullopt);

  void send_text(const std::string& body);
  void send(const nlohmann::json& message) { send_text(message.dump()); }
  // The next body received, or nullopt after `timeout`.
  std::optional<std::string> receive_text(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next body parsed as JSON; throws if none arrives in time.
  nlohmann::json receive(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Sends a request with a fresh id and returns the response to it.
  nlohmann::json call(const std::string& method, const nlohmann::json& params = nullptr,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
  int next_id_ = 1;
};

}  // namespace zerotask::testing

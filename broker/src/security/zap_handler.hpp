// ZapHandler: answers ZeroMQ's authentication requests (ZAP, ZeroMQ RFC 27) for the
// broker's CURVE sockets, on a thread of its own that owns the REP socket at
// inproc://zeromq.zap.01 of the broker's context. A peer whose public key is in the
// keys file is accepted with the key's name as its user id, which the loop reads
// from each message it receives ("User-Id"); any other is refused, and logged.
//
// It must be bound before the sockets it guards accept connections and must live
// until they are closed: libzmq accepts every CURVE client when no handler is bound.
#pragma once

#include <string>
#include <thread>

#include <zmq.hpp>

#include "security/access_keys.hpp"
#include "security/throttled_log.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::broker {

class ZapHandler {
 public:
  // Returns once the handler is bound; throws zmq::error_t if it cannot be.
  ZapHandler(zmq::context_t& context, const AccessKeys& keys);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  static constexpr std::string_view kEndpoint = "inproc://zeromq.zap.01";
  // The ZAP domain the broker's sockets name.
  static constexpr std::string_view kDomain = "zerotask";

 private:
  void serve(zmq::socket_t& socket);
  void answer(zmq::socket_t& socket);

  zmq::context_t& context_;
  const AccessKeys& keys_;
  Wakeup stop_;
  // A refused key is logged at most once a minute: a peer keeps reconnecting.
  ThrottledLog refusals_{std::chrono::minutes(1)};
  std::thread thread_;
};

}  // namespace zerotask::broker

// LoopClient: JSON-RPC exchanges with the broker loop from threads other than its
// own (HTTP handlers, the webhook sender), over the loop's in-process request
// endpoint. Each exchange opens a DEALER of its own on the calling thread and
// closes it before returning, so no socket is ever shared between threads.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "zerotask/json_rpc.hpp"

namespace zerotask::broker {

class LoopClient {
 public:
  LoopClient(zmq::context_t& context, std::string endpoint) : context_(context), endpoint_(std::move(endpoint)) {}

  // Sends one JSON-RPC request or batch and returns the response (for a batch, the
  // array of responses), or nullopt when none came within `timeout` or after stop().
  std::optional<json> exchange(const json& message, std::chrono::milliseconds timeout) const;
  // One request with id 1: its response object.
  std::optional<json> call(std::string_view method, const json& params, std::chrono::milliseconds timeout) const;
  // Exchanges in progress give up within 100 ms, later ones at once.
  void stop() { stopping_.store(true); }

 private:
  zmq::context_t& context_;
  std::string endpoint_;
  std::atomic<bool> stopping_{false};
};

}  // namespace zerotask::broker

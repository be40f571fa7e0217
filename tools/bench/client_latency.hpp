// Round trips of zerotask::Client::call("noop"): what a user of the client library
// sees, next to the raw-DEALER round trips of Target. Used by one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "zerotask/client.hpp"

namespace zerotask::bench {

class ClientLatency {
 public:
  ClientLatency(const std::string& endpoint, const std::string& event_endpoint);

  // Untimed calls.
  void warm_up(std::size_t count);
  // Times `count` sequential calls and adds them to round_trips(). Throws the
  // client library's exceptions on a failed call.
  void round(std::size_t count);

  const std::vector<std::chrono::nanoseconds>& round_trips() const { return round_trips_; }

 private:
  Client client_;
  std::vector<std::chrono::nanoseconds> round_trips_;
};

}  // namespace zerotask::bench

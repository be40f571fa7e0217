// Small helpers shared by the client test suites.
#pragma once

#include <chrono>
#include <thread>

#include "fake_broker.hpp"
#include "zerotask/client.hpp"

namespace zerotask::testing {

// Client options with short deadlines, so a test that fails, fails fast.
inline ClientOptions quick_options() {
  ClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.call_timeout = std::chrono::milliseconds(5000);
  return options;
}

// Stops the broker and starts it again on the same endpoint. It stays down long
// enough for clients to see their connections drop and try in vain to reconnect.
inline void restart(FakeBroker& broker) {
  broker.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  broker.start();
}

// The function the fake broker serves as "add".
inline json add(const json& params) {
  return params.at(0).get<int>() + params.at(1).get<int>();
}

}  // namespace zerotask::testing

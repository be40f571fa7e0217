// Small helpers shared by the client test suites.
#pragma once

#include <chrono>

#include "zerotask/client.hpp"

namespace zerotask::testing {

// Client options with short deadlines, so a test that fails, fails fast.
inline ClientOptions quick_options() {
  ClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.call_timeout = std::chrono::milliseconds(5000);
  return options;
}

// The function the fake broker serves as "add".
inline json add(const json& params) { return params.at(0).get<int>() + params.at(1).get<int>(); }

}  // namespace zerotask::testing

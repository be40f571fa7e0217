#include "client_latency.hpp"

#include "workload.hpp"

namespace zerotask::bench {
namespace {

ClientOptions options_for(const std::string& event_endpoint) {
  ClientOptions options;
  options.event_endpoint = event_endpoint;
  return options;
}

}  // namespace

ClientLatency::ClientLatency(const std::string& endpoint, const std::string& event_endpoint)
    : client_(endpoint, options_for(event_endpoint)) {}

void ClientLatency::warm_up(std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) client_.call(std::string(kNoopFunction));
}

void ClientLatency::round(std::size_t count) {
  const std::string function(kNoopFunction);
  for (std::size_t k = 0; k < count; ++k) {
    auto start = std::chrono::steady_clock::now();
    client_.call(function);
    round_trips_.push_back(std::chrono::steady_clock::now() - start);
  }
}

}  // namespace zerotask::bench

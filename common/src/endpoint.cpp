#include "zerotask/endpoint.hpp"

#include <charconv>

namespace zerotask {

std::string connectable_endpoint(std::string_view bind_endpoint) {
  for (std::string_view wildcard : {"tcp://*:", "tcp://0.0.0.0:"}) {
    if (bind_endpoint.starts_with(wildcard)) {
      return "tcp://127.0.0.1:" + std::string(bind_endpoint.substr(wildcard.size()));
    }
  }
  return std::string(bind_endpoint);
}

std::optional<std::string> default_event_endpoint(std::string_view request_endpoint) {
  if (!request_endpoint.starts_with("tcp://")) return std::string(request_endpoint) + ".events";
  auto colon = request_endpoint.rfind(':');
  if (colon == std::string_view::npos || colon < 6) return std::nullopt;
  std::string_view port_text = request_endpoint.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port >= 65535) {
    return std::nullopt;
  }
  return std::string(request_endpoint.substr(0, colon + 1)) + std::to_string(port + 1);
}

}  // namespace zerotask

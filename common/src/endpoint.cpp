#include "zerotask/endpoint.hpp"

#include <algorithm>
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

bool is_loopback_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1") return true;
  if (!host.starts_with("127.")) return false;
  // Four decimal octets, each at most 255.
  int octets = 0;
  std::size_t at = 0;
  while (at <= host.size()) {
    std::size_t dot = std::min(host.find('.', at), host.size());
    unsigned value = 0;
    auto [end, ec] = std::from_chars(host.data() + at, host.data() + dot, value);
    if (ec != std::errc{} || end != host.data() + dot || dot == at || value > 255) return false;
    ++octets;
    at = dot + 1;
  }
  return octets == 4;
}

bool is_local_endpoint(std::string_view endpoint) {
  if (endpoint.starts_with("ipc://") || endpoint.starts_with("inproc://")) return true;
  if (!endpoint.starts_with("tcp://")) return false;
  std::string_view address = endpoint.substr(6);
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  return is_loopback_host(address.substr(0, colon));
}

}  // namespace zerotask

// The address of the broker's HTTP gateway (`--http`): HOST:PORT. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zerotask::broker {

struct HttpAddress {
  std::string host;  // an IPv4 or IPv6 address or a host name; "0.0.0.0" for every interface
  int port = 0;
};

// Reads HOST:PORT: HOST an IPv4 address, a host name, `*` (every interface) or an
// IPv6 address in brackets (`[::1]:8080`); PORT 1 to 65535. nullopt for anything else.
std::optional<HttpAddress> parse_http_address(std::string_view text);

}  // namespace zerotask::broker

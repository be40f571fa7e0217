#include "http/http_address.hpp"

#include <algorithm>
#include <cctype>

namespace zerotask::broker {

std::optional<HttpAddress> parse_http_address(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  HttpAddress address;
  address.port = std::stoi(std::string(port));
  if (address.port < 1 || address.port > 65535) return std::nullopt;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    bool v6 = std::all_of(host.begin(), host.end(),
                          [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; });
    if (!v6 || host.find(':') == std::string_view::npos) return std::nullopt;
    address.host = host;
    return address;
  }
  if (host == "*") {
    address.host = "0.0.0.0";
    return address;
  }
  auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; };
  if (host.empty() || host.size() > 253 || !std::all_of(host.begin(), host.end(), name_char)) return std::nullopt;
  address.host = host;
  return address;
}

}  // namespace zerotask::broker

#include "webhook_url.hpp"

#include <algorithm>
#include <cctype>

namespace zerotask::broker {
namespace {

constexpr std::string_view kScheme = "http://";

std::optional<WebhookUrl> refuse(std::string* why, std::string_view reason) {
  if (why) *why += reason;
  return std::nullopt;
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '~' || c == '%';
}

}  // namespace

std::optional<WebhookUrl> parse_webhook_url(std::string_view url, std::string* why) {
  if (url.size() > kMaxCallbackUrlBytes) return refuse(why, "is longer than 2048 bytes");
  auto printable = [](char c) { return c > 0x20 && c < 0x7f; };
  if (!std::all_of(url.begin(), url.end(), printable)) {
    return refuse(why, "must be printable ASCII without spaces (percent-encode the rest)");
  }
  if (url.size() < kScheme.size() || !std::equal(kScheme.begin(), kScheme.end(), url.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return refuse(why, "must start with http:// (https is not supported)");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (auto fragment = rest.find('#'); fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  std::size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string target = authority_end == std::string_view::npos ? "/" : std::string(rest.substr(authority_end));
  if (target.front() == '?') target.insert(target.begin(), '/');
  if (authority.find('@') != std::string_view::npos) return refuse(why, "must not carry a user name or password");
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return refuse(why, "has a malformed IPv6 address");
    auto inside = authority.substr(1, close - 1);
    bool v6 = std::all_of(inside.begin(), inside.end(),
                          [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'; });
    if (!v6) return refuse(why, "has a malformed IPv6 address");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return refuse(why, "has a malformed host");
      port = after.substr(1);
      if (port.empty()) return refuse(why, "has an empty port");
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return refuse(why, "has an empty port");
  }
  if (host.empty()) return refuse(why, "has no host");
  if (!host.starts_with('[') && !std::all_of(host.begin(), host.end(), is_host_char)) {
    return refuse(why, "has a malformed host");
  }
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return refuse(why, "has a port that is not a number from 1 to 65535");
    }
    int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return refuse(why, "has a port that is not a number from 1 to 65535");
  }
  WebhookUrl parsed;
  parsed.origin = "http://" + std::string(host);
  if (!port.empty()) parsed.origin += ":" + std::string(port);
  parsed.target = std::move(target);
  return parsed;
}

}  // namespace zerotask::broker

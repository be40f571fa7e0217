// The callback_url of a task (docs/HTTP.md, "Webhooks"): checked when the task is
// submitted, and split for the HTTP client that delivers to it. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace zerotask::broker {

inline constexpr std::size_t kMaxCallbackUrlBytes = 2048;

struct WebhookUrl {
  std::string origin;  // "http://host" or "http://host:port", as httplib::Client takes it
  std::string target;  // the path and query, "/" when the URL has none
};

// Reads `http://host[:port][/path][?query]`: printable ASCII only, no user info, a
// port from 1 to 65535, at most kMaxCallbackUrlBytes; a fragment is dropped. On
// failure returns nullopt and, when `why` is given, appends the reason to it.
std::optional<WebhookUrl> parse_webhook_url(std::string_view url, std::string* why = nullptr);

}  // namespace zerotask::broker

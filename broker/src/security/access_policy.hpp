// Which methods each role may call (docs/SECURITY.md, "Roles"). The broker asks
// before it runs a request from a peer that connected with a key of the keys file;
// peers inside the broker (the HTTP gateway and the webhook sender, over inproc)
// and every peer of a broker without CURVE are not asked.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "security/access_keys.hpp"

namespace zerotask::broker {

// nullopt when `key` may call `method`; otherwise why not, for the unauthorized
// error and the log.
std::optional<std::string> access_refusal(const AccessKey& key, std::string_view method);

}  // namespace zerotask::broker

// Whether a broker may serve on the addresses it was given: one that other machines
// can reach must require CURVE (a keys file), and its HTTP gateway, which has no
// authentication of its own, must stay on loopback; `insecure` allows both.
#pragma once

#include <optional>
#include <string>

#include "http/http_address.hpp"
#include "zerotask/broker.hpp"

namespace zerotask::broker {

// nullopt when the broker may start; otherwise why not and what to do about it.
std::optional<std::string> exposure_refusal(const BrokerConfig& config, const std::string& event_endpoint,
                                            const std::optional<HttpAddress>& http);

}  // namespace zerotask::broker

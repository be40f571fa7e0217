// ZeroMQ endpoint strings: turning a bind address into one peers can connect to,
// deriving the event endpoint from the request endpoint, and telling endpoints
// only this machine reaches from the others.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zerotask {

// "tcp://*:5555" and "tcp://0.0.0.0:5555" become "tcp://127.0.0.1:5555"; anything
// else is returned unchanged.
std::string connectable_endpoint(std::string_view bind_endpoint);

// The event endpoint that goes with a request endpoint: a tcp endpoint's port + 1
// ("tcp://host:5555" -> "tcp://host:5556"), or an ipc/inproc path + ".events".
// nullopt when a tcp endpoint has no numeric port below 65535.
std::optional<std::string> default_event_endpoint(std::string_view request_endpoint);

// True for a host name or address that only this machine reaches: "localhost",
// 127.x.y.z, "::1" (with or without brackets).
bool is_loopback_host(std::string_view host);

// True for an endpoint only this machine can connect to: ipc://, inproc://, or tcp://
// on a loopback host. "tcp://*:5555" (every interface) is not.
bool is_local_endpoint(std::string_view endpoint);

}  // namespace zerotask

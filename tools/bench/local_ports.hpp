// Free loopback TCP ports for the brokers zt-bench starts.
#pragma once

#include <string>

namespace zerotask::bench {

// A port on 127.0.0.1 that was free a moment ago (a bind test), with the port
// after it free too (a broker's event endpoint is its request port + 1).
// Throws std::runtime_error when none is found.
int free_port_pair();

std::string loopback_endpoint(int port);

}  // namespace zerotask::bench

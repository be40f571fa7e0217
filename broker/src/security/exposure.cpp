#include "security/exposure.hpp"

#include "zerotask/endpoint.hpp"

namespace zerotask::broker {

std::optional<std::string> exposure_refusal(const BrokerConfig& config, const std::string& event_endpoint,
                                            const std::optional<HttpAddress>& http) {
  if (config.insecure) return std::nullopt;
  bool curve = !config.keys_file.empty();
  for (const std::string& endpoint : {config.endpoint, event_endpoint}) {
    if (!curve && !is_local_endpoint(endpoint)) {
      return endpoint + " can be reached from other machines, and without CURVE anyone who reaches it can " +
             "submit, read and serve tasks: give a keys file (--keys FILE --curve-key FILE, docs/SECURITY.md), bind " +
             "to 127.0.0.1 or ipc://, or pass --insecure on a network you trust";
    }
  }
  if (http && !is_loopback_host(http->host)) {
    return "the HTTP gateway on " + http->host + ":" + std::to_string(http->port) +
           " can be reached from other machines and has no authentication: bind it to 127.0.0.1 (and put a proxy " +
           "with authentication in front), or pass --insecure on a network you trust";
  }
  return std::nullopt;
}

}  // namespace zerotask::broker

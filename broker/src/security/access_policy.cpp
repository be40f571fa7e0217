#include "security/access_policy.hpp"

#include <array>

#include "zerotask/json_rpc.hpp"

namespace zerotask::broker {
namespace {

enum class Access {
  Anyone,    // any key
  Node,      // node keys
  Client,    // client and admin keys
  Admin,     // admin keys
  Internal,  // no key: only the broker's own inproc peers
};

// Methods a client may call beyond task.* and task calls: reading the broker's
// state, and events that set off rules.
constexpr std::array<std::string_view, 7> kClientReads = {
    "broker.stats", "broker.functions", "broker.nodes", "broker.metrics", "schedule.list", "limits.list", "event.emit"};

Access required_access(std::string_view method) {
  if (!rpc::is_reserved_method(method) || method.starts_with("task.")) return Access::Client;
  if (method == "broker.ping") return Access::Anyone;
  if (method.starts_with("node.")) return Access::Node;
  if (method.starts_with("broker.webhooks.")) return Access::Internal;
  for (auto read : kClientReads) {
    if (read == method) return Access::Client;
  }
  return Access::Admin;
}

std::string_view who_may(Access access) {
  switch (access) {
    case Access::Node: return "it needs the role node";
    case Access::Client: return "it needs the role client or admin";
    case Access::Admin: return "it needs the role admin";
    case Access::Internal: return "only the broker's own parts call it";
    case Access::Anyone: break;
  }
  return "any key may call it";
}

}  // namespace

std::optional<std::string> access_refusal(const AccessKey& key, std::string_view method) {
  Access access = required_access(method);
  bool allowed = false;
  switch (access) {
    case Access::Anyone: allowed = true; break;
    case Access::Node: allowed = key.role == Role::Node; break;
    case Access::Client: allowed = key.role == Role::Client || key.role == Role::Admin; break;
    case Access::Admin: allowed = key.role == Role::Admin; break;
    case Access::Internal: allowed = false; break;
  }
  if (allowed) return std::nullopt;
  return "key '" + key.name + "' (role " + std::string(to_string(key.role)) + ") may not call " + std::string(method) +
         ": " + std::string(who_may(access));
}

}  // namespace zerotask::broker

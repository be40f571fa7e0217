// AccessKeys: the broker's keys file (docs/SECURITY.md). Each entry is a CURVE
// public key that may connect, with a name (the peer's identity in logs and in the
// tasks it submits), a role, for a node the functions it may serve, and for a
// client or admin a quota of queued tasks. Read once at start; immutable after, so
// the ZAP handler's thread and the loop read it without locks.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zerotask::broker {

// client: submits and follows tasks; node: serves functions; admin: what a client
// does, and changes the broker's schedules and limits.
enum class Role { Client, Node, Admin };
std::string_view to_string(Role role);

struct AccessKey {
  std::string name;
  std::string public_key;  // Z85
  Role role = Role::Client;
  std::vector<std::string> functions;     // a node's; "*" is any function
  std::optional<std::size_t> max_queued;  // QUEUED and PENDING tasks the key submitted

  bool may_serve(std::string_view function) const;
};

class AccessKeys {
 public:
  // Both throw std::runtime_error("keys file SOURCE: ...") naming the entry and
  // what is wrong with it.
  static AccessKeys load(const std::string& path);
  static AccessKeys parse(const std::string& text, const std::string& source);

  const AccessKey* by_public_key(std::string_view public_key) const;
  const AccessKey* by_name(std::string_view name) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<AccessKey> keys_;
  std::unordered_map<std::string, std::size_t> by_public_key_;
  std::unordered_map<std::string, std::size_t> by_name_;
};

}  // namespace zerotask::broker

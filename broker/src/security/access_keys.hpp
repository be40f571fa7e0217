// AccessKeys: the broker's keys file (docs/SECURITY.md). Each entry is a CURVE
// public key that may connect, with a name (the peer's identity in logs and in the
// tasks it submits), a role, for a node the functions it may serve, and for a
// client or admin a quota of queued tasks. Read once at start; immutable after, so
// the ZAP handler's thread and the loop read it without locks.
#pragma once

#include <cstddef>
#include <functional>
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

// Lets the maps below be searched with a string_view, without making a string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
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
  // The loop looks a key up by name for every message it reads.
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> by_public_key_;
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> by_name_;
};

}  // namespace zerotask::broker

#include "security/access_keys.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "config_file.hpp"
#include "zerotask/curve.hpp"
#include "zerotask/json_rpc.hpp"

namespace zerotask::broker {
namespace {

constexpr std::size_t kMaxKeys = 10000;
constexpr std::size_t kMaxNameBytes = 128;
constexpr std::size_t kMaxFunctions = 1000;
constexpr std::string_view kAnyFunction = "*";
const std::set<std::string, std::less<>> kMembers = {"name", "public_key", "role", "functions", "max_queued"};

// Names go into logs and ZAP's user id: printable ASCII without spaces.
bool is_plain_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes &&
         std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 127; });
}

Role read_role(const json& entry) {
  auto role = entry.find("role");
  if (role == entry.end() || !role->is_string()) throw std::invalid_argument("role must be client, node or admin");
  const auto& text = role->get_ref<const std::string&>();
  if (text == "client") return Role::Client;
  if (text == "node") return Role::Node;
  if (text == "admin") return Role::Admin;
  throw std::invalid_argument("role must be client, node or admin, not '" + text + "'");
}

std::vector<std::string> read_functions(const json& entry) {
  auto functions = entry.find("functions");
  if (functions == entry.end()) {
    throw std::invalid_argument("a node needs functions: the names it may serve, or [\"*\"] for any");
  }
  if (!functions->is_array() || functions->empty() || functions->size() > kMaxFunctions) {
    throw std::invalid_argument("functions must be an array of 1 to 1000 function names");
  }
  std::vector<std::string> names;
  for (const auto& name : *functions) {
    if (!name.is_string() || name.get_ref<const std::string&>().empty() ||
        name.get_ref<const std::string&>().size() > kMaxNameBytes) {
      throw std::invalid_argument("each function must be a name of 1 to 128 bytes");
    }
    names.push_back(name.get<std::string>());
  }
  return names;
}

AccessKey read_key(const json& entry) {
  if (!entry.is_object()) throw std::invalid_argument("a key must be an object");
  for (const auto& [member, value] : entry.items()) {
    if (!kMembers.contains(member)) throw std::invalid_argument("unknown member '" + member + "'");
  }
  AccessKey key;
  auto name = entry.find("name");
  if (name == entry.end() || !name->is_string() || !is_plain_name(name->get_ref<const std::string&>())) {
    throw std::invalid_argument("name must be 1 to 128 printable characters without spaces");
  }
  key.name = name->get<std::string>();
  auto public_key = entry.find("public_key");
  if (public_key == entry.end() || !public_key->is_string() || !is_curve_key(public_key->get<std::string>())) {
    throw std::invalid_argument("public_key must be a 40-character Z85 CURVE public key (zt keygen)");
  }
  key.public_key = public_key->get<std::string>();
  key.role = read_role(entry);
  if (key.role == Role::Node) {
    key.functions = read_functions(entry);
    if (entry.contains("max_queued")) throw std::invalid_argument("max_queued is for client and admin keys");
  } else {
    if (entry.contains("functions")) throw std::invalid_argument("functions are for node keys");
    if (auto quota = entry.find("max_queued"); quota != entry.end()) {
      if (!quota->is_number_integer() || quota->get<std::int64_t>() < 1) {
        throw std::invalid_argument("max_queued must be a positive integer");
      }
      key.max_queued = quota->get<std::size_t>();
    }
  }
  return key;
}

}  // namespace

std::string_view to_string(Role role) {
  switch (role) {
    case Role::Client: return "client";
    case Role::Node: return "node";
    case Role::Admin: return "admin";
  }
  return "client";
}

bool AccessKey::may_serve(std::string_view function) const {
  return std::any_of(functions.begin(), functions.end(),
                     [&](const std::string& allowed) { return allowed == kAnyFunction || allowed == function; });
}

AccessKeys AccessKeys::load(const std::string& path) {
  return parse(read_config_file(path, "keys"), path);
}

AccessKeys AccessKeys::parse(const std::string& text, const std::string& source) {
  json document = json::parse(text, nullptr, false);
  if (document.is_discarded()) throw std::runtime_error("keys file " + source + " is not valid JSON");
  auto list = document.is_object() ? document.find("keys") : document.end();
  if (list == document.end() || !list->is_array() || list->empty() || list->size() > kMaxKeys) {
    throw std::runtime_error("keys file " + source + " must be an object with \"keys\": an array of 1 to 10000 keys");
  }
  AccessKeys keys;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& entry = (*list)[i];
    std::string label = "key #" + std::to_string(i + 1);
    if (entry.is_object() && entry.contains("name") && entry["name"].is_string()) {
      label += " (" + entry["name"].get<std::string>() + ")";
    }
    try {
      AccessKey key = read_key(entry);
      if (keys.by_name_.contains(key.name)) throw std::invalid_argument("another key has this name");
      if (keys.by_public_key_.contains(key.public_key)) throw std::invalid_argument("another key has this public_key");
      keys.by_name_.emplace(key.name, keys.keys_.size());
      keys.by_public_key_.emplace(key.public_key, keys.keys_.size());
      keys.keys_.push_back(std::move(key));
    } catch (const std::invalid_argument& error) {
      throw std::runtime_error("keys file " + source + ", " + label + ": " + error.what());
    }
  }
  return keys;
}

const AccessKey* AccessKeys::by_public_key(std::string_view public_key) const {
  auto it = by_public_key_.find(public_key);
  return it == by_public_key_.end() ? nullptr : &keys_[it->second];
}

const AccessKey* AccessKeys::by_name(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &keys_[it->second];
}

}  // namespace zerotask::broker

#include "zerotask/rpc_error.hpp"

#include <algorithm>
#include <limits>

namespace zerotask::params {

void invalid(const std::string& message) {
  throw RpcError(rpc::kInvalidParams, message);
}

namespace {

const json kEmptyObject = json::object();

[[noreturn]] void invalid_field(std::string_view key, std::string_view what) {
  invalid(std::string(key) + " " + std::string(what));
}

const json* field(const json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

const json& object(const json& params) {
  if (params.is_null()) return kEmptyObject;
  if (!params.is_object()) throw RpcError(rpc::kInvalidParams, "params must be an object");
  return params;
}

std::string required_string(const json& object, std::string_view key) {
  auto value = optional_string(object, key);
  if (!value) invalid_field(key, "is required");
  return *value;
}

std::optional<std::string> optional_string(const json& object, std::string_view key) {
  const json* value = field(object, key);
  if (!value) return std::nullopt;
  if (!value->is_string()) invalid_field(key, "must be a string");
  return value->get<std::string>();
}

std::int64_t integer(const json& object, std::string_view key, std::int64_t fallback, std::int64_t min,
                     std::int64_t max) {
  const json* value = field(object, key);
  if (!value) return fallback;
  if (!value->is_number_integer()) invalid_field(key, "must be an integer");
  // An unsigned value past int64 would wrap to a negative one.
  bool too_big = value->is_number_unsigned() &&
                 value->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  auto number = too_big ? std::int64_t{0} : value->get<std::int64_t>();
  if (too_big || number < min || number > max) {
    invalid_field(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return number;
}

std::int64_t required_integer(const json& object, std::string_view key, std::int64_t min, std::int64_t max) {
  if (!field(object, key)) invalid_field(key, "is required");
  return integer(object, key, min, min, max);
}

bool boolean(const json& object, std::string_view key, bool fallback) {
  const json* value = field(object, key);
  if (!value) return fallback;
  if (!value->is_boolean()) invalid_field(key, "must be true or false");
  return value->get<bool>();
}

void known_fields_only(const json& object, std::span<const std::string_view> known,
                       std::span<const std::string_view> also_known) {
  auto in = [](std::span<const std::string_view> names, const std::string& key) {
    return std::find(names.begin(), names.end(), key) != names.end();
  };
  for (const auto& item : object.items()) {
    if (!in(known, item.key()) && !in(also_known, item.key())) {
      throw RpcError(rpc::kInvalidParams, "unknown field '" + item.key() + "'");
    }
  }
}

}  // namespace zerotask::params

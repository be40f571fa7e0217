// RpcError: an exception that carries a JSON-RPC error. Handlers throw it; the
// loop that called the handler catches it and answers with the error, so it never
// escapes a loop. Also the helpers that read typed fields out of params and throw
// RpcError(kInvalidParams) naming the field that is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "zerotask/json_rpc.hpp"

namespace zerotask {

class RpcError : public std::runtime_error {
 public:
  explicit RpcError(rpc::Error error) : std::runtime_error(error.message), error_(std::move(error)) {}
  RpcError(int code, std::string message, json data = nullptr)
      : RpcError(rpc::Error{code, std::move(message), std::move(data)}) {}

  const rpc::Error& error() const { return error_; }
  int code() const { return error_.code; }

 private:
  rpc::Error error_;
};

namespace params {

// Throws RpcError(kInvalidParams, message).
[[noreturn]] void invalid(const std::string& message);
// The params as an object; null params count as an empty object.
const json& object(const json& params);
std::string required_string(const json& object, std::string_view key);
std::optional<std::string> optional_string(const json& object, std::string_view key);
std::int64_t integer(const json& object, std::string_view key, std::int64_t fallback, std::int64_t min,
                     std::int64_t max);
std::int64_t required_integer(const json& object, std::string_view key, std::int64_t min, std::int64_t max);
bool boolean(const json& object, std::string_view key, bool fallback);
// Throws "unknown field 'x'" for the first field of `object` in neither list:
// a misspelt option is refused rather than ignored.
void known_fields_only(const json& object, std::span<const std::string_view> known,
                       std::span<const std::string_view> also_known = {});

}  // namespace params
}  // namespace zerotask

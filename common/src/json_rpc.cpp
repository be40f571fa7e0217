#include "zerotask/json_rpc.hpp"

#include <cstdint>
#include <utility>

namespace zerotask::rpc {
namespace {

bool valid_id(const json& id) { return id.is_string() || id.is_number() || id.is_null(); }

Invalid invalid(json id, int code, std::string message) {
  return Invalid{std::move(id), Error{code, std::move(message), nullptr}};
}

Message classify_response(json&& element, json id) {
  auto result = element.find("result");
  auto error = element.find("error");
  bool has_result = result != element.end();
  bool has_error = error != element.end();
  if (has_result == has_error) {
    return invalid(std::move(id), kInvalidRequest, "a response needs exactly one of result and error");
  }
  Response response{std::move(id), std::nullopt, std::nullopt};
  if (has_result) {
    response.result = std::move(*result);
    return response;
  }
  response.error = parse_error_object(*error);
  if (!response.error) return invalid(std::move(response.id), kInvalidRequest, "malformed error object");
  return response;
}

}  // namespace

std::optional<Error> parse_error_object(const json& value) {
  if (!value.is_object()) return std::nullopt;
  auto code = value.find("code");
  auto message = value.find("message");
  if (code == value.end() || !code->is_number_integer() || !fits_int(*code)) return std::nullopt;
  if (message == value.end() || !message->is_string()) return std::nullopt;
  Error error{code->get<int>(), message->get<std::string>(), nullptr};
  if (auto data = value.find("data"); data != value.end()) error.data = *data;
  return error;
}

bool fits_int(const json& number) {
  if (number.is_number_unsigned()) return number.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT32_MAX);
  if (!number.is_number_integer()) return false;
  auto value = number.get<std::int64_t>();
  return value >= INT32_MIN && value <= INT32_MAX;
}

std::string to_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

json Error::to_json() const {
  json out = {{"code", code}, {"message", message}};
  if (!data.is_null()) out["data"] = data;
  return out;
}

bool nesting_exceeds(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return false;
}

Message classify(json&& element) {
  if (!element.is_object()) return invalid(nullptr, kInvalidRequest, "a message must be a JSON object");
  json id = nullptr;
  auto id_it = element.find("id");
  bool has_id = id_it != element.end();
  if (has_id) {
    if (!valid_id(*id_it)) return invalid(nullptr, kInvalidRequest, "id must be a string, a number or null");
    id = std::move(*id_it);
  }
  auto version = element.find("jsonrpc");
  if (version == element.end() || !version->is_string() || version->get_ref<const std::string&>() != "2.0") {
    return invalid(std::move(id), kInvalidRequest, "jsonrpc must be \"2.0\"");
  }
  auto method = element.find("method");
  if (method == element.end()) {
    if (has_id) return classify_response(std::move(element), std::move(id));
    return invalid(nullptr, kInvalidRequest, "missing method");
  }
  if (!method->is_string()) return invalid(std::move(id), kInvalidRequest, "method must be a string");
  Request request;
  request.method = std::move(method->get_ref<std::string&>());
  if (auto params = element.find("params"); params != element.end()) {
    if (!params->is_object() && !params->is_array()) {
      return invalid(std::move(id), kInvalidRequest, "params must be an object or an array");
    }
    request.params = std::move(*params);
  }
  if (has_id) request.id = std::move(id);
  return request;
}

Frame decode(std::string_view text, const DecodeLimits& limits) {
  Frame frame;
  if (nesting_exceeds(text, limits.max_depth)) {
    frame.error = Error{kParseError, "JSON nested deeper than " + std::to_string(limits.max_depth), nullptr};
    return frame;
  }
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) {
    frame.error = Error{kParseError, "malformed JSON", nullptr};
    return frame;
  }
  if (parsed.is_array()) {
    if (parsed.empty()) {
      frame.error = Error{kInvalidRequest, "empty batch", nullptr};
      return frame;
    }
    frame.batch = true;
    frame.messages.reserve(parsed.size());
    for (auto& element : parsed) frame.messages.push_back(classify(std::move(element)));
    return frame;
  }
  if (!parsed.is_object()) {
    frame.error = Error{kInvalidRequest, "a message must be a JSON object or a batch array", nullptr};
    return frame;
  }
  frame.messages.push_back(classify(std::move(parsed)));
  return frame;
}

std::string encode_request(const json& id, std::string_view method, const json& params) {
  json message = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) message["params"] = params;
  return to_text(message);
}

std::string encode_notification(std::string_view method, const json& params) {
  json message = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) message["params"] = params;
  return to_text(message);
}

json result_object(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json error_object(const json& id, const Error& error) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", error.to_json()}};
}

std::string encode_result(const json& id, json result) { return to_text(result_object(id, std::move(result))); }

std::string encode_error(const json& id, const Error& error) { return to_text(error_object(id, error)); }

bool is_reserved_method(std::string_view method) {
  for (std::string_view prefix : {"task.", "node.", "broker.", "schedule.", "limits.", "event.", "rpc."}) {
    if (method.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace zerotask::rpc

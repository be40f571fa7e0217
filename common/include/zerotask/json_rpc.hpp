// JSON-RPC 2.0 messages as value types, and the codec between them and the text
// that travels in one ZeroMQ frame.
//
// Decoding never throws and never recurses deeper than DecodeLimits::max_depth, so
// it is safe on untrusted input. All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "zerotask/error_codes.hpp"
#include "zerotask/limits.hpp"

namespace zerotask {

using json = nlohmann::json;

namespace rpc {

// The error member of a JSON-RPC response.
struct Error {
  int code = kInternalError;
  std::string message;
  json data;  // null when absent

  json to_json() const;
};

// A request (id present) or a notification (id absent).
struct Request {
  std::optional<json> id;  // a string, a number or null; absent for a notification
  std::string method;
  json params;  // an object, an array, or null when absent

  bool is_notification() const { return !id.has_value(); }
};

// A response carries exactly one of result and error.
struct Response {
  json id;
  std::optional<json> result;
  std::optional<Error> error;
};

// An element that is neither a valid request nor a valid response; `id` is the
// element's id when one could be read, otherwise null.
struct Invalid {
  json id;
  Error error;
};

using Message = std::variant<Request, Response, Invalid>;

struct DecodeLimits {
  std::size_t max_depth = kDefaultMaxDepth;  // nesting of arrays and objects, counted while scanning
};

// The content of one frame: a single message or a batch. `error` is set when the
// frame as a whole is unusable (parse error, too deep, empty batch, not an object or
// array); then `messages` is empty.
struct Frame {
  bool batch = false;
  std::vector<Message> messages;
  std::optional<Error> error;
};

Frame decode(std::string_view text, const DecodeLimits& limits = {});

// True when the JSON text nests arrays/objects deeper than max_depth. Linear scan,
// no recursion, aware of strings and escapes.
bool nesting_exceeds(std::string_view text, std::size_t max_depth);

// Classifies one already-parsed JSON value as a request, a response or invalid.
Message classify(json&& element);

// Reads a JSON-RPC error object ({code, message, data?}); nullopt unless code is
// an integer that fits an int and message a string.
std::optional<Error> parse_error_object(const json& value);

// True for an integer JSON number that fits an int.
bool fits_int(const json& number);

// Serializes compactly; invalid UTF-8 (from a function's own strings) is replaced,
// never thrown on.
std::string to_text(const json& value);

std::string encode_request(const json& id, std::string_view method, const json& params);
std::string encode_notification(std::string_view method, const json& params);
json result_object(const json& id, json result);
json error_object(const json& id, const Error& error);
std::string encode_result(const json& id, json result);
std::string encode_error(const json& id, const Error& error);

// True for a method in one of the broker's namespaces (task., node., broker.,
// schedule., limits., event., rpc.); any other method is a direct call of the
// function of that name (docs/PROTOCOL.md, "Direct calls").
bool is_reserved_method(std::string_view method);

}  // namespace rpc
}  // namespace zerotask

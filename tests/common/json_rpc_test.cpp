// The JSON-RPC 2.0 codec (common/include/zerotask/json_rpc.hpp): decoding every
// kind of message and every kind of bad input, the nesting guard, and encoding.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <variant>

#include "zerotask/json_rpc.hpp"

namespace rpc = zerotask::rpc;
using zerotask::json;

namespace {

// The single message of a non-batch frame; fails the test if the frame is unusable.
rpc::Message only_message(std::string_view text) {
  rpc::Frame frame = rpc::decode(text);
  REQUIRE_FALSE(frame.error.has_value());
  REQUIRE_FALSE(frame.batch);
  REQUIRE(frame.messages.size() == 1);
  return frame.messages.front();
}

rpc::Request as_request(std::string_view text) {
  rpc::Message message = only_message(text);
  REQUIRE(std::holds_alternative<rpc::Request>(message));
  return std::get<rpc::Request>(message);
}

rpc::Response as_response(std::string_view text) {
  rpc::Message message = only_message(text);
  REQUIRE(std::holds_alternative<rpc::Response>(message));
  return std::get<rpc::Response>(message);
}

rpc::Invalid as_invalid(std::string_view text) {
  rpc::Message message = only_message(text);
  REQUIRE(std::holds_alternative<rpc::Invalid>(message));
  return std::get<rpc::Invalid>(message);
}

// The frame-level error of a body that cannot be read at all.
rpc::Error frame_error(std::string_view text, const rpc::DecodeLimits& limits = {}) {
  rpc::Frame frame = rpc::decode(text, limits);
  REQUIRE(frame.error.has_value());
  CHECK(frame.messages.empty());
  CHECK_FALSE(frame.batch);
  return *frame.error;
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

}  // namespace

// ---------------------------------------------------------------------------
// Valid messages

TEST_CASE("a request with a numeric id, a method and array params decodes as a request" * doctest::timeout(10)) {
  rpc::Request request = as_request(R"({"jsonrpc":"2.0","id":1,"method":"add","params":[5,6]})");
  CHECK_FALSE(request.is_notification());
  REQUIRE(request.id.has_value());
  CHECK(*request.id == json(1));
  CHECK(request.method == "add");
  CHECK(request.params == json::array({5, 6}));
}

TEST_CASE("a request keeps a string id, a null id and object params" * doctest::timeout(10)) {
  rpc::Request with_string = as_request(R"({"jsonrpc":"2.0","id":"abc","method":"task.get","params":{"id":"x"}})");
  CHECK(*with_string.id == json("abc"));
  CHECK(with_string.params == json{{"id", "x"}});

  // A null id is still a request (it gets an answer), not a notification.
  rpc::Request with_null = as_request(R"({"jsonrpc":"2.0","id":null,"method":"broker.ping"})");
  CHECK_FALSE(with_null.is_notification());
  REQUIRE(with_null.id.has_value());
  CHECK(with_null.id->is_null());

  rpc::Request with_fraction = as_request(R"({"jsonrpc":"2.0","id":1.5,"method":"m"})");
  CHECK(*with_fraction.id == json(1.5));
}

TEST_CASE("a request without params has null params" * doctest::timeout(10)) {
  rpc::Request request = as_request(R"({"jsonrpc":"2.0","id":7,"method":"broker.stats"})");
  CHECK(request.params.is_null());
  CHECK(request.method == "broker.stats");
}

TEST_CASE("a request without an id decodes as a notification" * doctest::timeout(10)) {
  rpc::Request notification = as_request(R"({"jsonrpc":"2.0","method":"node.progress","params":{"id":"a"}})");
  CHECK(notification.is_notification());
  CHECK_FALSE(notification.id.has_value());
  CHECK(notification.method == "node.progress");
  CHECK(notification.params == json{{"id", "a"}});
}

TEST_CASE("a response with a result decodes as a response carrying that result" * doctest::timeout(10)) {
  rpc::Response response = as_response(R"({"jsonrpc":"2.0","id":3,"result":{"pong":true}})");
  CHECK(response.id == json(3));
  REQUIRE(response.result.has_value());
  CHECK(*response.result == json{{"pong", true}});
  CHECK_FALSE(response.error.has_value());

  // A null result is still a result.
  rpc::Response null_result = as_response(R"({"jsonrpc":"2.0","id":"q","result":null})");
  REQUIRE(null_result.result.has_value());
  CHECK(null_result.result->is_null());
}

TEST_CASE("a response with an error decodes its code, message and data" * doctest::timeout(10)) {
  rpc::Response response = as_response(
      R"({"jsonrpc":"2.0","id":4,"error":{"code":-32000,"message":"boom","data":{"type":"std::runtime_error"}}})");
  CHECK(response.id == json(4));
  CHECK_FALSE(response.result.has_value());
  REQUIRE(response.error.has_value());
  CHECK(response.error->code == rpc::kTaskFailed);
  CHECK(response.error->message == "boom");
  CHECK(response.error->data == json{{"type", "std::runtime_error"}});

  rpc::Response without_data = as_response(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}})");
  REQUIRE(without_data.error.has_value());
  CHECK(without_data.error->data.is_null());
  CHECK(without_data.id.is_null());
}

TEST_CASE("a batch decodes every element in order, invalid elements included" * doctest::timeout(10)) {
  rpc::Frame frame = rpc::decode(R"([
    {"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]},
    {"jsonrpc":"2.0","method":"notify"},
    {"jsonrpc":"2.0","id":2,"result":3},
    5,
    {"jsonrpc":"1.0","id":9,"method":"old"}
  ])");
  REQUIRE_FALSE(frame.error.has_value());
  CHECK(frame.batch);
  REQUIRE(frame.messages.size() == 5);

  REQUIRE(std::holds_alternative<rpc::Request>(frame.messages[0]));
  CHECK(std::get<rpc::Request>(frame.messages[0]).method == "add");
  REQUIRE(std::holds_alternative<rpc::Request>(frame.messages[1]));
  CHECK(std::get<rpc::Request>(frame.messages[1]).is_notification());
  REQUIRE(std::holds_alternative<rpc::Response>(frame.messages[2]));
  CHECK(*std::get<rpc::Response>(frame.messages[2]).result == json(3));

  REQUIRE(std::holds_alternative<rpc::Invalid>(frame.messages[3]));
  const auto& not_object = std::get<rpc::Invalid>(frame.messages[3]);
  CHECK(not_object.id.is_null());
  CHECK(not_object.error.code == rpc::kInvalidRequest);
  CHECK(not_object.error.message == "a message must be a JSON object");

  REQUIRE(std::holds_alternative<rpc::Invalid>(frame.messages[4]));
  const auto& old_version = std::get<rpc::Invalid>(frame.messages[4]);
  CHECK(old_version.id == json(9));
  CHECK(old_version.error.message == "jsonrpc must be \"2.0\"");
}

TEST_CASE("a batch of one request is still a batch" * doctest::timeout(10)) {
  rpc::Frame frame = rpc::decode(R"([{"jsonrpc":"2.0","id":1,"method":"m"}])");
  REQUIRE_FALSE(frame.error.has_value());
  CHECK(frame.batch);
  REQUIRE(frame.messages.size() == 1);
  CHECK(std::holds_alternative<rpc::Request>(frame.messages[0]));
}

TEST_CASE("classify sorts already-parsed values like decode does" * doctest::timeout(10)) {
  rpc::Message request = rpc::classify(json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "m"}});
  CHECK(std::holds_alternative<rpc::Request>(request));
  rpc::Message response = rpc::classify(json{{"jsonrpc", "2.0"}, {"id", 1}, {"result", 2}});
  CHECK(std::holds_alternative<rpc::Response>(response));
  rpc::Message invalid = rpc::classify(json::array());
  REQUIRE(std::holds_alternative<rpc::Invalid>(invalid));
  CHECK(std::get<rpc::Invalid>(invalid).error.code == rpc::kInvalidRequest);
}

// ---------------------------------------------------------------------------
// Bodies that cannot be read at all: one frame-level error

TEST_CASE("malformed JSON is a parse error" * doctest::timeout(10)) {
  for (std::string_view text : {"", "{", "{\"jsonrpc\":", "not json", "[1,2", "{\"a\":1}}", "\xff\xfe", "{'a':1}"}) {
    CAPTURE(text);
    rpc::Error error = frame_error(text);
    CHECK(error.code == rpc::kParseError);
    CHECK(error.message == "malformed JSON");
  }
}

TEST_CASE("a body that is neither an object nor an array is an invalid request" * doctest::timeout(10)) {
  for (std::string_view text : {"42", "\"text\"", "null", "true", "1.5"}) {
    CAPTURE(text);
    rpc::Error error = frame_error(text);
    CHECK(error.code == rpc::kInvalidRequest);
    CHECK(error.message == "a message must be a JSON object or a batch array");
  }
}

TEST_CASE("an empty batch is an invalid request" * doctest::timeout(10)) {
  rpc::Error error = frame_error("[]");
  CHECK(error.code == rpc::kInvalidRequest);
  CHECK(error.message == "empty batch");
  CHECK(frame_error("  [ ]  ").message == "empty batch");
}

TEST_CASE("a 100,000-deep array is rejected as a parse error quickly and without crashing" * doctest::timeout(10)) {
  std::string deep = nested_arrays(100000);
  auto start = std::chrono::steady_clock::now();
  rpc::Error error = frame_error(deep);
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(error.code == rpc::kParseError);
  CHECK(error.message == "JSON nested deeper than 64");
  CHECK(elapsed < std::chrono::seconds(1));

  // Unclosed, and nested through objects: the same answer.
  CHECK(frame_error(std::string(100000, '[')).code == rpc::kParseError);
  std::string deep_objects;
  for (int i = 0; i < 100000; ++i) deep_objects += R"({"a":)";
  CHECK(frame_error(deep_objects).message == "JSON nested deeper than 64");
}

TEST_CASE("nesting up to the limit is accepted and one level more is refused" * doctest::timeout(10)) {
  // The request object is depth 1, so params may nest 63 more levels.
  std::string at_limit = R"({"jsonrpc":"2.0","id":1,"method":"m","params":)" + nested_arrays(63) + "}";
  rpc::Request request = as_request(at_limit);
  CHECK(request.params.is_array());

  std::string over_limit = R"({"jsonrpc":"2.0","id":1,"method":"m","params":)" + nested_arrays(64) + "}";
  rpc::Error error = frame_error(over_limit);
  CHECK(error.code == rpc::kParseError);
}

TEST_CASE("decode honours a custom depth limit" * doctest::timeout(10)) {
  rpc::DecodeLimits shallow{.max_depth = 2};
  CHECK(frame_error(R"({"jsonrpc":"2.0","id":1,"method":"m","params":[[1]]})", shallow).message ==
        "JSON nested deeper than 2");
  rpc::Frame ok = rpc::decode(R"({"jsonrpc":"2.0","id":1,"method":"m","params":[1]})", shallow);
  CHECK_FALSE(ok.error.has_value());

  rpc::DecodeLimits deep{.max_depth = 500};
  std::string text = R"({"jsonrpc":"2.0","id":1,"method":"m","params":)" + nested_arrays(400) + "}";
  rpc::Frame parsed = rpc::decode(text, deep);
  CHECK_FALSE(parsed.error.has_value());
}

// ---------------------------------------------------------------------------
// Messages that are JSON objects but not valid JSON-RPC

TEST_CASE("a wrong or missing jsonrpc version is an invalid request that keeps the id" * doctest::timeout(10)) {
  for (std::string_view text : {R"({"jsonrpc":"1.0","id":5,"method":"m"})", R"({"jsonrpc":2.0,"id":5,"method":"m"})",
                                R"({"jsonrpc":"2.00","id":5,"method":"m"})", R"({"id":5,"method":"m"})",
                                R"({"jsonrpc":null,"id":5,"method":"m"})"}) {
    CAPTURE(text);
    rpc::Invalid invalid = as_invalid(text);
    CHECK(invalid.id == json(5));
    CHECK(invalid.error.code == rpc::kInvalidRequest);
    CHECK(invalid.error.message == "jsonrpc must be \"2.0\"");
  }
}

TEST_CASE("a message without a method and without an id is an invalid request with a null id" * doctest::timeout(10)) {
  for (std::string_view text :
       {R"({"jsonrpc":"2.0"})", R"({"jsonrpc":"2.0","result":1})", R"({"jsonrpc":"2.0","params":[]})"}) {
    CAPTURE(text);
    rpc::Invalid invalid = as_invalid(text);
    CHECK(invalid.id.is_null());
    CHECK(invalid.error.code == rpc::kInvalidRequest);
    CHECK(invalid.error.message == "missing method");
  }
}

TEST_CASE("a method that is not a string is an invalid request" * doctest::timeout(10)) {
  for (std::string_view text :
       {R"({"jsonrpc":"2.0","id":"a","method":5})", R"({"jsonrpc":"2.0","id":"a","method":null})",
        R"({"jsonrpc":"2.0","id":"a","method":["m"]})", R"({"jsonrpc":"2.0","id":"a","method":{"m":1}})"}) {
    CAPTURE(text);
    rpc::Invalid invalid = as_invalid(text);
    CHECK(invalid.id == json("a"));
    CHECK(invalid.error.code == rpc::kInvalidRequest);
    CHECK(invalid.error.message == "method must be a string");
  }
}

TEST_CASE("params that are neither an array nor an object make an invalid request" * doctest::timeout(10)) {
  for (std::string_view text :
       {R"({"jsonrpc":"2.0","id":2,"method":"m","params":5})", R"({"jsonrpc":"2.0","id":2,"method":"m","params":"x"})",
        R"({"jsonrpc":"2.0","id":2,"method":"m","params":true})",
        R"({"jsonrpc":"2.0","id":2,"method":"m","params":null})"}) {
    CAPTURE(text);
    rpc::Invalid invalid = as_invalid(text);
    CHECK(invalid.id == json(2));
    CHECK(invalid.error.code == rpc::kInvalidRequest);
    CHECK(invalid.error.message == "params must be an object or an array");
  }
  // Also for notifications: their Invalid carries no id.
  rpc::Invalid notification = as_invalid(R"({"jsonrpc":"2.0","method":"m","params":1})");
  CHECK(notification.id.is_null());
}

TEST_CASE("an id that is not a string, a number or null is an invalid request with a null id" * doctest::timeout(10)) {
  for (std::string_view text :
       {R"({"jsonrpc":"2.0","id":{"a":1},"method":"m"})", R"({"jsonrpc":"2.0","id":[1],"method":"m"})",
        R"({"jsonrpc":"2.0","id":true,"method":"m"})", R"({"jsonrpc":"2.0","id":false,"result":1})"}) {
    CAPTURE(text);
    rpc::Invalid invalid = as_invalid(text);
    CHECK(invalid.id.is_null());
    CHECK(invalid.error.code == rpc::kInvalidRequest);
    CHECK(invalid.error.message == "id must be a string, a number or null");
  }
}

TEST_CASE("a response with both or neither of result and error is invalid" * doctest::timeout(10)) {
  rpc::Invalid both = as_invalid(R"({"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}})");
  CHECK(both.id == json(1));
  CHECK(both.error.code == rpc::kInvalidRequest);
  CHECK(both.error.message == "a response needs exactly one of result and error");

  rpc::Invalid neither = as_invalid(R"({"jsonrpc":"2.0","id":1})");
  CHECK(neither.error.message == "a response needs exactly one of result and error");
}

TEST_CASE("a response whose error object is malformed is invalid" * doctest::timeout(10)) {
  for (std::string_view text :
       {R"({"jsonrpc":"2.0","id":8,"error":"boom"})", R"({"jsonrpc":"2.0","id":8,"error":{"message":"no code"}})",
        R"({"jsonrpc":"2.0","id":8,"error":{"code":"1","message":"m"}})",
        R"({"jsonrpc":"2.0","id":8,"error":{"code":1.5,"message":"m"}})",
        R"({"jsonrpc":"2.0","id":8,"error":{"code":1}})",
        R"({"jsonrpc":"2.0","id":8,"error":{"code":1,"message":2}})"}) {
    CAPTURE(text);
    rpc::Invalid invalid = as_invalid(text);
    CHECK(invalid.id == json(8));
    CHECK(invalid.error.code == rpc::kInvalidRequest);
    CHECK(invalid.error.message == "malformed error object");
  }
}

// ---------------------------------------------------------------------------
// The nesting guard on its own

TEST_CASE("nesting_exceeds counts arrays and objects, not their number" * doctest::timeout(10)) {
  CHECK_FALSE(rpc::nesting_exceeds("[[],[],{},[[]]]", 3));
  CHECK(rpc::nesting_exceeds("[[],[],{},[[[]]]]", 3));
  CHECK_FALSE(rpc::nesting_exceeds("", 0));
  CHECK_FALSE(rpc::nesting_exceeds("42", 0));
  CHECK(rpc::nesting_exceeds("[]", 0));
  CHECK(rpc::nesting_exceeds(R"({"a":{"b":{"c":1}}})", 2));
  CHECK_FALSE(rpc::nesting_exceeds(R"({"a":{"b":{"c":1}}})", 3));
}

TEST_CASE("nesting_exceeds ignores brackets inside strings" * doctest::timeout(10)) {
  CHECK_FALSE(rpc::nesting_exceeds(R"({"a":"[[[[{{{{"})", 1));
  CHECK_FALSE(rpc::nesting_exceeds(R"(["]]]]]]", [1]])", 2));
  CHECK_FALSE(rpc::nesting_exceeds(R"({"[[[[":"{{{{"})", 1));
}

TEST_CASE("nesting_exceeds follows escaped quotes and escaped backslashes inside strings" * doctest::timeout(10)) {
  // \" does not end the string, so the brackets after it are still inside it.
  CHECK_FALSE(rpc::nesting_exceeds(R"({"a":"x\"[[[[[["})", 1));
  // \\ is one escaped backslash: the quote after it does end the string, so the
  // brackets that follow count.
  CHECK(rpc::nesting_exceeds(R"(["x\\",[[1]]])", 2));
  CHECK_FALSE(rpc::nesting_exceeds(R"(["x\\",[[1]]])", 3));
  // \\\" is a backslash then an escaped quote: still inside the string.
  CHECK_FALSE(rpc::nesting_exceeds(R"(["x\\\"[[[[["])", 1));
}

TEST_CASE("nesting_exceeds never lets stray closing brackets lower the count below zero" * doctest::timeout(10)) {
  CHECK_FALSE(rpc::nesting_exceeds("]]]]]][[", 2));
  CHECK(rpc::nesting_exceeds("]]]]]][[[", 2));
}

// ---------------------------------------------------------------------------
// Encoding

TEST_CASE("encode_request writes a complete request and omits null params" * doctest::timeout(10)) {
  CHECK(rpc::encode_request(1, "add", json::array({5, 6})) ==
        R"({"id":1,"jsonrpc":"2.0","method":"add","params":[5,6]})");
  CHECK(rpc::encode_request("x", "broker.ping", nullptr) == R"({"id":"x","jsonrpc":"2.0","method":"broker.ping"})");
  CHECK(rpc::encode_request(nullptr, "m", json::object()) == R"({"id":null,"jsonrpc":"2.0","method":"m","params":{}})");
}

TEST_CASE("encode_notification writes a request without an id" * doctest::timeout(10)) {
  CHECK(rpc::encode_notification("node.bye", nullptr) == R"({"jsonrpc":"2.0","method":"node.bye"})");
  CHECK(rpc::encode_notification("node.pull", json{{"slots", 0}}) ==
        R"({"jsonrpc":"2.0","method":"node.pull","params":{"slots":0}})");
}

TEST_CASE("encode_result and encode_error write responses that keep the id" * doctest::timeout(10)) {
  CHECK(rpc::encode_result(1, 11) == R"({"id":1,"jsonrpc":"2.0","result":11})");
  CHECK(rpc::encode_result("a", nullptr) == R"({"id":"a","jsonrpc":"2.0","result":null})");
  CHECK(rpc::encode_error(nullptr, rpc::Error{rpc::kParseError, "malformed JSON", nullptr}) ==
        R"({"error":{"code":-32700,"message":"malformed JSON"},"id":null,"jsonrpc":"2.0"})");
  CHECK(rpc::encode_error(3, rpc::Error{rpc::kTaskFailed, "boom", json{{"type", "E"}}}) ==
        R"({"error":{"code":-32000,"data":{"type":"E"},"message":"boom"},"id":3,"jsonrpc":"2.0"})");
}

TEST_CASE("result_object and error_object build the same responses as JSON values" * doctest::timeout(10)) {
  CHECK(rpc::result_object(2, json::array({1})) == json{{"jsonrpc", "2.0"}, {"id", 2}, {"result", json::array({1})}});
  CHECK(rpc::error_object("i", rpc::Error{rpc::kNotFound, "no task", nullptr}) ==
        json{{"jsonrpc", "2.0"}, {"id", "i"}, {"error", {{"code", -32004}, {"message", "no task"}}}});
}

TEST_CASE("Error::to_json includes data only when it is not null" * doctest::timeout(10)) {
  CHECK(rpc::Error{rpc::kOverloaded, "busy", nullptr}.to_json() == json{{"code", -32003}, {"message", "busy"}});
  CHECK(rpc::Error{rpc::kOverloaded, "busy", json::array()}.to_json() ==
        json{{"code", -32003}, {"message", "busy"}, {"data", json::array()}});
}

TEST_CASE("encoded messages decode back to the same values" * doctest::timeout(10)) {
  json params = {{"function", "add"}, {"params", {1, 2}}, {"text", "ünïcödé \"quoted\" \\ [{"}};
  rpc::Request request = as_request(rpc::encode_request(42, "task.submit", params));
  CHECK(*request.id == json(42));
  CHECK(request.method == "task.submit");
  CHECK(request.params == params);

  rpc::Request notification = as_request(rpc::encode_notification("node.done", params));
  CHECK(notification.is_notification());

  rpc::Response result = as_response(rpc::encode_result("r", params));
  CHECK(*result.result == params);

  rpc::Response error = as_response(rpc::encode_error(9, rpc::Error{rpc::kCancelled, "cancelled", {{"task", "t"}}}));
  REQUIRE(error.error.has_value());
  CHECK(error.error->code == rpc::kCancelled);
  CHECK(error.error->data == json{{"task", "t"}});
}

TEST_CASE("to_text replaces invalid UTF-8 instead of throwing" * doctest::timeout(10)) {
  json bad = std::string(
      "a\xff"
      "b\xc3");
  std::string text;
  CHECK_NOTHROW(text = rpc::to_text(bad));
  CHECK(text ==
        "\"a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD\"");

  std::string response;
  CHECK_NOTHROW(response = rpc::encode_error(1, rpc::Error{rpc::kTaskFailed, "bad \xfe bytes", nullptr}));
  rpc::Response decoded = as_response(response);
  REQUIRE(decoded.error.has_value());
  CHECK(decoded.error->message == "bad \xEF\xBF\xBD bytes");
}

TEST_CASE("to_text writes compact JSON and keeps valid UTF-8 as it is" * doctest::timeout(10)) {
  CHECK(rpc::to_text(json{{"a", json::array({1, 2})}, {"b", "é"}}) == "{\"a\":[1,2],\"b\":\"é\"}");
}

TEST_CASE("methods in the broker's namespaces are reserved, any other is a direct call" * doctest::timeout(10)) {
  for (const char* reserved : {"task.submit", "node.hello", "broker.ping", "schedule.add", "limits.set", "event.emit",
                               "rpc.discover"}) {
    CAPTURE(reserved);
    CHECK(zerotask::rpc::is_reserved_method(reserved));
  }
  for (const char* call : {"add", "task", "schedules.add", "events", "limit.set", "my.task.submit"}) {
    CAPTURE(call);
    CHECK_FALSE(zerotask::rpc::is_reserved_method(call));
  }
}

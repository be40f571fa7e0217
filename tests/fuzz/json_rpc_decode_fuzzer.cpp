// libFuzzer target for the JSON-RPC decoder, rpc::decode(), the first code to read
// what any peer sends. Each input is one frame's body, decoded with the broker's
// default depth limit and with a small one (so inputs a few hundred bytes long
// reach the limit). Beyond "no crash, no sanitizer report", it checks the
// decoder's contract (common/include/zerotask/json_rpc.hpp):
//   - a frame-level error leaves no messages; otherwise a single message or a
//     non-empty batch;
//   - text nested deeper than the limit is refused as a whole;
//   - every request and response encodes again, and that text decodes to the same
//     message (the codec round-trips);
//   - every invalid element can be answered with an error that is valid JSON.
// A broken check aborts with a message, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "zerotask/json_rpc.hpp"
#include "zerotask/limits.hpp"

namespace {

using zerotask::json;
namespace rpc = zerotask::rpc;

constexpr std::size_t kSmallDepth = 4;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "json_rpc_decode_fuzzer: check failed: %s\n", what);
  std::abort();
}

const rpc::Message& only_message(const rpc::Frame& frame) {
  require(!frame.error, "a re-encoded message decodes without a frame error");
  require(!frame.batch && frame.messages.size() == 1, "a re-encoded message decodes to one message");
  return frame.messages.front();
}

void check_request(const rpc::Request& request, const rpc::DecodeLimits& limits) {
  require(request.params.is_null() || request.params.is_object() || request.params.is_array(),
          "request params are an object, an array or absent");
  std::string text = request.id ? rpc::encode_request(*request.id, request.method, request.params)
                                : rpc::encode_notification(request.method, request.params);
  rpc::Frame frame = rpc::decode(text, limits);
  const auto* again = std::get_if<rpc::Request>(&only_message(frame));
  require(again != nullptr, "a re-encoded request decodes to a request");
  require(again->method == request.method, "a re-encoded request keeps its method");
  require(again->params == request.params, "a re-encoded request keeps its params");
  require(again->id == request.id, "a re-encoded request keeps its id");
}

void check_response(const rpc::Response& response, const rpc::DecodeLimits& limits) {
  require(response.result.has_value() != response.error.has_value(), "a response has exactly one of result and error");
  std::string text = response.result ? rpc::encode_result(response.id, *response.result)
                                     : rpc::encode_error(response.id, *response.error);
  rpc::Frame frame = rpc::decode(text, limits);
  const auto* again = std::get_if<rpc::Response>(&only_message(frame));
  require(again != nullptr, "a re-encoded response decodes to a response");
  require(again->id == response.id, "a re-encoded response keeps its id");
  require(again->result == response.result, "a re-encoded response keeps its result");
  require(again->error.has_value() == response.error.has_value(), "a re-encoded response keeps its error");
  if (response.error) {
    require(again->error->code == response.error->code, "a re-encoded error keeps its code");
    require(again->error->message == response.error->message, "a re-encoded error keeps its message");
    require(again->error->data == response.error->data, "a re-encoded error keeps its data");
  }
}

void check_invalid(const rpc::Invalid& invalid) {
  require(invalid.id.is_null() || invalid.id.is_string() || invalid.id.is_number(),
          "an invalid element's id is a string, a number or null");
  json reply = json::parse(rpc::encode_error(invalid.id, invalid.error), nullptr, false);
  require(!reply.is_discarded(), "the error answering an invalid element is valid JSON");
}

void check(std::string_view text, std::size_t max_depth) {
  rpc::DecodeLimits limits{max_depth};
  rpc::Frame frame = rpc::decode(text, limits);
  if (frame.error) {
    require(frame.messages.empty(), "a frame error leaves no messages");
    json reply = json::parse(rpc::encode_error(nullptr, *frame.error), nullptr, false);
    require(!reply.is_discarded(), "the error answering a bad frame is valid JSON");
    return;
  }
  require(!rpc::nesting_exceeds(text, max_depth), "text nested deeper than the limit is refused");
  require(!frame.messages.empty(), "a decoded frame has at least one message");
  require(frame.batch || frame.messages.size() == 1, "a frame that is not a batch has one message");
  for (const auto& message : frame.messages) {
    if (const auto* request = std::get_if<rpc::Request>(&message)) {
      check_request(*request, limits);
    } else if (const auto* response = std::get_if<rpc::Response>(&message)) {
      check_response(*response, limits);
    } else {
      check_invalid(std::get<rpc::Invalid>(message));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text, zerotask::kDefaultMaxDepth);
  check(text, kSmallDepth);
  return 0;
}

#include "http/rest_errors.hpp"

namespace zerotask::broker {

int http_status_of(int code) {
  switch (code) {
    case rpc::kParseError:
    case rpc::kInvalidRequest:
    case rpc::kInvalidParams: return 400;
    case rpc::kMethodNotFound:
    case rpc::kNotFound: return 404;
    case rpc::kNotCancellable:
    case rpc::kNotRetryable: return 409;
    case rpc::kOverloaded:
    case rpc::kStoreUnavailable:
    case rpc::kNoNode: return 503;
    case rpc::kTimedOut: return 504;
    default: return 500;
  }
}

json error_body(int code, std::string_view message, const json& data) {
  json error = {{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = data;
  return json{{"error", std::move(error)}};
}

}  // namespace zerotask::broker

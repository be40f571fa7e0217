#include "zerotask/error_codes.hpp"

namespace zerotask::rpc {

std::string_view error_code_name(int code) {
  switch (code) {
    case kParseError: return "parse_error";
    case kInvalidRequest: return "invalid_request";
    case kMethodNotFound: return "method_not_found";
    case kInvalidParams: return "invalid_params";
    case kInternalError: return "internal_error";
    case kTaskFailed: return "task_failed";
    case kTimedOut: return "timed_out";
    case kCancelled: return "cancelled";
    case kOverloaded: return "overloaded";
    case kNotFound: return "not_found";
    case kUnauthorized: return "unauthorized";
    case kNoNode: return "no_node";
    case kNotCancellable: return "not_cancellable";
    case kUnknownNode: return "unknown_node";
    case kUnknownFunction: return "unknown_function";
    case kStoreUnavailable: return "store_unavailable";
    case kNotRetryable: return "not_retryable";
    default: return "error";
  }
}

}  // namespace zerotask::rpc

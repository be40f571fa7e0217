// Error codes (common/include/zerotask/error_codes.hpp): the values on the wire and
// their stable short names.
#include <doctest/doctest.h>

#include <string>

#include "zerotask/error_codes.hpp"

namespace rpc = zerotask::rpc;

TEST_CASE("error codes have the values documented in docs/PROTOCOL.md" * doctest::timeout(10)) {
  CHECK(rpc::kParseError == -32700);
  CHECK(rpc::kInvalidRequest == -32600);
  CHECK(rpc::kMethodNotFound == -32601);
  CHECK(rpc::kInvalidParams == -32602);
  CHECK(rpc::kInternalError == -32603);
  CHECK(rpc::kTaskFailed == -32000);
  CHECK(rpc::kTimedOut == -32001);
  CHECK(rpc::kCancelled == -32002);
  CHECK(rpc::kOverloaded == -32003);
  CHECK(rpc::kNotFound == -32004);
  CHECK(rpc::kUnauthorized == -32005);
  CHECK(rpc::kNoNode == -32006);
  CHECK(rpc::kNotCancellable == -32007);
  CHECK(rpc::kUnknownNode == -32008);
  CHECK(rpc::kUnknownFunction == -32009);
  CHECK(rpc::kStoreUnavailable == -32010);
  CHECK(rpc::kNotRetryable == -32011);
}

TEST_CASE("every error code has the short name the protocol table gives it" * doctest::timeout(10)) {
  struct Named {
    int code;
    const char* name;
  };
  for (Named named :
       {Named{-32700, "parse_error"}, Named{-32600, "invalid_request"}, Named{-32601, "method_not_found"},
        Named{-32602, "invalid_params"}, Named{-32603, "internal_error"}, Named{-32000, "task_failed"},
        Named{-32001, "timed_out"}, Named{-32002, "cancelled"}, Named{-32003, "overloaded"}, Named{-32004, "not_found"},
        Named{-32005, "unauthorized"}, Named{-32006, "no_node"}, Named{-32007, "not_cancellable"},
        Named{-32008, "unknown_node"}, Named{-32009, "unknown_function"}, Named{-32010, "store_unavailable"},
        Named{-32011, "not_retryable"}}) {
    CAPTURE(named.code);
    CHECK(rpc::error_code_name(named.code) == named.name);
  }
}

TEST_CASE("a code outside the list is named error" * doctest::timeout(10)) {
  for (int code : {0, 1, -1, -32012, -32099, -32604, 12345}) {
    CAPTURE(code);
    CHECK(rpc::error_code_name(code) == "error");
  }
}

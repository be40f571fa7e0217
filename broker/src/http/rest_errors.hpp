// How the HTTP gateway answers errors (docs/HTTP.md, "Errors"): the status for a
// JSON-RPC error code, and the body {"error": {"code", "message", "data"?}}. Pure;
// thread-safe.
#pragma once

#include <string_view>

#include "zerotask/json_rpc.hpp"

namespace zerotask::broker {

// The HTTP status of a JSON-RPC error code: 400 for bad input, 404 not found, 409
// for a task in the wrong state, 503 for an overloaded broker or a store that cannot
// write, 500 otherwise.
int http_status_of(int code);

json error_body(int code, std::string_view message, const json& data = nullptr);

}  // namespace zerotask::broker

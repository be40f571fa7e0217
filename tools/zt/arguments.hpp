// How zt reads what its command line gives: call arguments as JSON values, the
// event endpoint, task ids. Pure functions; they throw UsageError (exit code 2)
// for input that cannot be used.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "zerotask/json_rpc.hpp"

namespace zerotask::zt {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One ARG of `zt call FN ARGS...`: its JSON value when it is JSON (5, -1.5, true,
// null, "quoted", [1,2], {"a":1}), otherwise the text itself as a string.
json argument_value(std::string_view text);

// The params of a call: `params_json` (the --params option; empty when not given)
// when it is a JSON array or object, otherwise the ARGS as an array.
json call_params(const std::vector<std::string>& args, const std::string& params_json);

// `events` when given, otherwise the event endpoint that goes with `broker`.
std::string event_endpoint(const std::string& broker, const std::string& events);

// Throws unless `text` is a task id (16 lowercase hex digits).
void require_task_id(const std::string& text);

// A state name for `zt list --state`, in any case ("running" -> "RUNNING").
std::string state_name(const std::string& text);

}  // namespace zerotask::zt

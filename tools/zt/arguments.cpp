#include "arguments.hpp"

#include <algorithm>
#include <cctype>

#include "zerotask/endpoint.hpp"
#include "zerotask/task_id.hpp"
#include "zerotask/task_state.hpp"

namespace zerotask::zt {
namespace {

constexpr std::size_t kMaxDepth = 64;

// Parses without recursing past kMaxDepth; a discarded value when `text` is not JSON.
json parse_json(std::string_view text, std::string_view what) {
  if (rpc::nesting_exceeds(text, kMaxDepth)) {
    throw UsageError(std::string(what) + " nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  return json::parse(text, nullptr, false);
}

}  // namespace

json argument_value(std::string_view text) {
  json value = parse_json(text, "an argument");
  if (value.is_discarded()) return json(std::string(text));
  return value;
}

json call_params(const std::vector<std::string>& args, const std::string& params_json) {
  if (params_json.empty()) {
    json params = json::array();
    for (const std::string& arg : args) params.push_back(argument_value(arg));
    return params;
  }
  if (!args.empty()) throw UsageError("give the params either as ARGS or with --params, not both");
  json params = parse_json(params_json, "--params");
  if (params.is_discarded()) throw UsageError("--params is not valid JSON: " + params_json);
  if (!params.is_array() && !params.is_object()) throw UsageError("--params must be a JSON array or object");
  return params;
}

std::string event_endpoint(const std::string& broker, const std::string& events) {
  if (!events.empty()) return events;
  auto derived = default_event_endpoint(broker);
  if (!derived) throw UsageError("no event endpoint goes with " + broker + "; give --events");
  return *derived;
}

void require_task_id(const std::string& text) {
  if (!parse_task_id(text)) throw UsageError("'" + text + "' is not a task id (16 hex digits)");
}

std::string state_name(const std::string& text) {
  std::string upper = text;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  if (!parse_task_state(upper)) {
    throw UsageError("unknown state '" + text + "' (PENDING, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)");
  }
  return upper;
}

}  // namespace zerotask::zt

// How zt reads what its command line gives: call arguments as JSON values, task
// options, workflow steps, schedules, limits and events, the event endpoint, task
// ids. Pure functions; they throw UsageError (exit code 2) for input that cannot be
// used.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "zerotask/json_rpc.hpp"
#include "zerotask/submit_options.hpp"
#include "zerotask/task_spec.hpp"

namespace zerotask::zt {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `zt call` and `zt submit`: the function, its params and the task options.
struct TaskArguments {
  std::string function;
  std::vector<std::string> args;
  std::string params;  // --params; empty when not given
  bool require_node = false;
  std::optional<int> max_retries;
  std::optional<long> task_timeout_ms;
  std::string idempotency_key;  // --key; empty: one the client makes
  std::string queue;            // empty: the broker's default queue
  std::optional<int> priority;
  std::optional<std::int64_t> countdown_ms;
  std::optional<std::int64_t> eta_ms;  // ms since the Unix epoch
  std::vector<std::string> after;      // --after, each one id or ids separated by commas
  std::string on_dependency_failure;   // "cancel" or "run"; empty when not given
  std::string pass_results;            // "none", "prepend" or "list"; empty when not given
  bool unique = false;
  std::optional<std::int64_t> result_ttl_ms;
};

// `zt schedule add`: the schedule's name and when it comes due (exactly one of
// --cron and --every-ms); its task is a TaskArguments.
struct ScheduleArguments {
  std::string name;
  std::string cron;                      // --cron; empty when not given
  std::optional<std::int64_t> every_ms;  // --every-ms
};

// `zt limits set`: at least one of --rate and --concurrency.
struct LimitsArguments {
  std::string function;
  std::optional<double> rate;  // --rate, tasks started a second
  std::optional<int> burst;    // --burst, only with --rate
  std::optional<int> concurrency;
};

// `zt emit`.
struct EmitArguments {
  std::string event;
  std::string data;  // DATA, JSON; empty when not given
};

// One ARG of `zt call FN ARGS...`: its JSON value when it is JSON (5, -1.5, true,
// null, "quoted", [1,2], {"a":1}), otherwise the text itself as a string.
json argument_value(std::string_view text);

// The params of a call: `params_json` (the --params option; empty when not given)
// when it is a JSON array or object, otherwise the ARGS as an array.
json call_params(const std::vector<std::string>& args, const std::string& params_json);

// The submit options the task arguments give (every --after id checked).
SubmitOptions submit_options(const TaskArguments& task);

// The schedule.add params: the name, "cron" or "interval_ms", and the task as
// task.submit params (call_params and submit_options read its arguments). Throws
// unless exactly one of --cron and --every-ms is given, and for the task options a
// schedule cannot take: those the broker refuses in one (--after, --countdown-ms,
// --eta-ms, --key) and those that would mean nothing there (--require-node,
// --on-dependency-failure, --pass-results).
json schedule_params(const ScheduleArguments& schedule, const TaskArguments& task);

// The limits.set params. Throws unless --rate or --concurrency is given, for
// --burst without --rate and for a --rate of 0.
json limits_params(const LimitsArguments& limits);

// The event.emit params: the event, and DATA (when given) as its data. Throws when
// DATA is not JSON: a string must be quoted ('"text"').
json emit_params(const EmitArguments& emit);

// One step of `zt chain`, `zt group` or `zt chord`, given as one string: a function
// name, then its arguments separated by spaces, each read as argument_value()
// reads an ARG. Spaces inside a JSON string ("a b") or inside brackets ([1, 2],
// {"a": 1}) do not separate arguments.
TaskSpec workflow_step(std::string_view text);

// `events` when given, otherwise the event endpoint that goes with `broker`.
std::string event_endpoint(const std::string& broker, const std::string& events);

// Throws unless `text` is a task id (16 lowercase hex digits).
void require_task_id(const std::string& text);

// A state name for `zt list --state`, in any case ("running" -> "RUNNING").
std::string state_name(const std::string& text);

}  // namespace zerotask::zt

#include "arguments.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include "zerotask/endpoint.hpp"
#include "zerotask/task_id.hpp"
#include "zerotask/task_state.hpp"

namespace zerotask::zt {
namespace {

constexpr std::size_t kMaxDepth = 64;
// The latest --eta-ms a system_clock time point holds (in the year 2255).
constexpr std::int64_t kLatestEtaMs = 9'000'000'000'000;

// Parses without recursing past kMaxDepth; a discarded value when `text` is not JSON.
json parse_json(std::string_view text, std::string_view what) {
  if (rpc::nesting_exceeds(text, kMaxDepth)) {
    throw UsageError(std::string(what) + " nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  return json::parse(text, nullptr, false);
}

// The ids of the --after options, each one id or several separated by commas.
std::vector<std::string> task_ids(const std::vector<std::string>& after) {
  std::vector<std::string> ids;
  for (const std::string& given : after) {
    for (std::size_t start = 0; start <= given.size();) {
      std::size_t comma = std::min(given.find(',', start), given.size());
      std::string id = given.substr(start, comma - start);
      require_task_id(id);
      ids.push_back(std::move(id));
      start = comma + 1;
    }
  }
  return ids;
}

DependencyFailure dependency_failure(const std::string& name) {
  if (name.empty() || name == "cancel") return DependencyFailure::Cancel;
  if (name == "run") return DependencyFailure::Run;
  throw UsageError("--on-dependency-failure is cancel or run, not '" + name + "'");
}

PassResults pass_results(const std::string& name) {
  if (name.empty() || name == "none") return PassResults::None;
  if (name == "prepend") return PassResults::Prepend;
  if (name == "list") return PassResults::List;
  throw UsageError("--pass-results is none, prepend or list, not '" + name + "'");
}

// Refuses a task option that a schedule cannot take, saying why.
void refuse_in_schedule(bool given, const char* option, const char* why) {
  if (given) throw UsageError(std::string(option) + " cannot be given in a schedule: " + why);
}

// The words of a workflow step: separated by spaces outside JSON strings and brackets.
std::vector<std::string> step_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_string = false;
  bool escaped = false;
  int depth = 0;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (depth == 0 && std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) words.push_back(std::exchange(word, std::string()));
      continue;
    }
    word += c;
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
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

SubmitOptions submit_options(const TaskArguments& task) {
  using std::chrono::milliseconds;
  SubmitOptions options;
  options.require_node = task.require_node;
  options.max_retries = task.max_retries;
  if (task.task_timeout_ms) options.task_timeout = milliseconds(*task.task_timeout_ms);
  options.idempotency_key = task.idempotency_key;
  options.queue = task.queue;
  options.priority = task.priority;
  if (task.countdown_ms) options.countdown = milliseconds(*task.countdown_ms);
  if (task.eta_ms) {
    if (*task.eta_ms < 0 || *task.eta_ms > kLatestEtaMs) {
      throw UsageError("--eta-ms is milliseconds since the Unix epoch, 0 to " + std::to_string(kLatestEtaMs));
    }
    options.eta = std::chrono::system_clock::time_point(milliseconds(*task.eta_ms));
  }
  options.depends_on = task_ids(task.after);
  options.on_dependency_failure = dependency_failure(task.on_dependency_failure);
  options.pass_results = pass_results(task.pass_results);
  options.unique = task.unique;
  if (task.result_ttl_ms) options.result_ttl = milliseconds(*task.result_ttl_ms);
  return options;
}

json schedule_params(const ScheduleArguments& schedule, const TaskArguments& task) {
  if (schedule.cron.empty() == !schedule.every_ms) throw UsageError("give --cron or --every-ms, exactly one");
  const char* when = "--cron or --every-ms says when its tasks are made";
  refuse_in_schedule(!task.after.empty(), "--after", "its tasks depend on no other task");
  refuse_in_schedule(task.countdown_ms.has_value(), "--countdown-ms", when);
  refuse_in_schedule(task.eta_ms.has_value(), "--eta-ms", when);
  refuse_in_schedule(!task.idempotency_key.empty(), "--key",
                     "each run makes a new task (--unique keeps slow runs from piling up)");
  refuse_in_schedule(task.require_node, "--require-node", "no one waits when its tasks are made");
  refuse_in_schedule(!task.on_dependency_failure.empty(), "--on-dependency-failure", "it goes with --after");
  refuse_in_schedule(!task.pass_results.empty(), "--pass-results", "it goes with --after");
  json params = {{"name", schedule.name}};
  if (schedule.every_ms) {
    params["interval_ms"] = *schedule.every_ms;
  } else {
    params["cron"] = schedule.cron;
  }
  params["task"] = submit_request_params(task.function, call_params(task.args, task.params), submit_options(task));
  return params;
}

json limits_params(const LimitsArguments& limits) {
  if (limits.burst && !limits.rate) throw UsageError("--burst needs --rate");
  if (!limits.rate && !limits.concurrency) throw UsageError("give --rate, --concurrency or both");
  if (limits.rate && !(*limits.rate > 0)) throw UsageError("--rate must be above 0");
  json params = {{"function", limits.function}};
  if (limits.rate) params["rate_per_s"] = *limits.rate;
  if (limits.burst) params["burst"] = *limits.burst;
  if (limits.concurrency) params["concurrency"] = *limits.concurrency;
  return params;
}

json emit_params(const EmitArguments& emit) {
  json params = {{"event", emit.event}};
  if (emit.data.empty()) return params;
  json data = parse_json(emit.data, "DATA");
  if (data.is_discarded()) throw UsageError("DATA is not valid JSON: " + emit.data + " (quote a string: '\"text\"')");
  params["data"] = std::move(data);
  return params;
}

TaskSpec workflow_step(std::string_view text) {
  std::vector<std::string> words = step_words(text);
  if (words.empty()) {
    throw UsageError("a workflow step is a function name and its arguments, not '" + std::string(text) + "'");
  }
  TaskSpec step;
  step.function = words.front();
  for (std::size_t k = 1; k < words.size(); ++k) step.params.push_back(argument_value(words[k]));
  return step;
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

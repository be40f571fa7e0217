#include "task_spec.hpp"

#include <algorithm>
#include <string>

#include "webhook_url.hpp"
#include "zerotask/limits.hpp"
#include "zerotask/rpc_error.hpp"

namespace zerotask::broker {
namespace {

constexpr std::size_t kMaxDependencies = 10000;
// countdown_ms, eta and result_ttl_ms reach at most a year (365 days) ahead.
constexpr std::int64_t kMaxAheadMs = 365LL * 24 * 3600 * 1000;

// One of `names` (its index), or `fallback` when the field is absent.
template <class Enum, std::size_t N>
Enum read_choice(const json& spec, std::string_view key, const std::string_view (&names)[N], Enum fallback) {
  auto value = params::optional_string(spec, key);
  if (!value) return fallback;
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == *value) return static_cast<Enum>(i);
  }
  // Appended piece by piece: GCC 12 warns wrongly (array-bounds) on chains of string + string.
  std::string message(key);
  message += " must be one of ";
  for (std::size_t i = 0; i < N; ++i) {
    message += i == 0 ? "\"" : ", \"";
    message += names[i];
    message += '"';
  }
  params::invalid(message);
}

// When the task may first run: eta, or now + countdown_ms; 0 for at once.
std::int64_t read_run_at(const json& spec, std::int64_t unix_now) {
  bool has_countdown = spec.contains("countdown_ms");
  bool has_eta = spec.contains("eta");
  if (has_countdown && has_eta) params::invalid("give countdown_ms or eta, not both");
  if (has_countdown) {
    std::int64_t countdown = params::required_integer(spec, "countdown_ms", 0, kMaxAheadMs);
    return countdown == 0 ? 0 : unix_now + countdown;
  }
  if (has_eta) {
    std::int64_t eta = params::required_integer(spec, "eta", 0, unix_now + kMaxAheadMs);
    return eta > unix_now ? eta : 0;
  }
  return 0;
}

void read_depends_on(const json& spec, std::size_t batch_size, TaskSpec& read) {
  auto list = spec.find("depends_on");
  if (list == spec.end() || list->is_null()) return;
  if (!list->is_array() || list->size() > kMaxDependencies) {
    params::invalid("depends_on must be an array of at most 10000 task ids");
  }
  for (const auto& entry : *list) {
    if (entry.is_string()) {
      auto id = parse_task_id(entry.get_ref<const std::string&>());
      if (!id)
        params::invalid("depends_on: " + entry.get<std::string>() + " is not a task id (16 lowercase hex digits)");
      if (*id == 0) params::invalid("depends_on: no task " + entry.get<std::string>());  // ids start above 0
      if (std::find(read.task.depends_on.begin(), read.task.depends_on.end(), *id) != read.task.depends_on.end()) {
        params::invalid("depends_on names task " + entry.get<std::string>() + " twice");
      }
      read.task.depends_on.push_back(*id);
    } else if (entry.is_number_unsigned() && batch_size > 0) {
      auto index = entry.get<std::uint64_t>();
      if (index >= batch_size) params::invalid("depends_on: index " + std::to_string(index) + " is outside the batch");
      auto& batch = read.batch_dependencies;
      auto same = [&](const TaskSpec::BatchDependency& seen) { return seen.index == index; };
      if (std::find_if(batch.begin(), batch.end(), same) != batch.end()) {
        params::invalid("depends_on names index " + std::to_string(index) + " twice");
      }
      batch.push_back(TaskSpec::BatchDependency{read.task.depends_on.size(), static_cast<std::size_t>(index)});
      read.task.depends_on.push_back(0);
    } else {
      params::invalid(batch_size > 0 ? "depends_on entries must be task ids or indexes of entries of this batch"
                                     : "depends_on entries must be task ids");
    }
  }
}

// Every field read_task_spec reads.
constexpr std::string_view kTaskFields[] = {
    "function", "params",        "max_retries", "timeout_ms", "idempotency_key",       "queue",
    "priority", "countdown_ms",  "eta",         "depends_on", "on_dependency_failure", "pass_results",
    "unique",   "result_ttl_ms", "callback_url"};

constexpr std::string_view kDependencyFailureNames[] = {"cancel", "run"};
constexpr std::string_view kPassResultsNames[] = {"none", "prepend", "list"};

}  // namespace

void check_name(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > kMaxNameBytes) params::invalid(std::string(what) + " must be 1 to 128 bytes");
}

void check_function_name(std::string_view name, std::string_view what) {
  check_name(name, what);
  if (rpc::is_reserved_method(name)) {
    params::invalid(std::string(what) + " '" + std::string(name) +
                    "' is in a reserved namespace (task., node., broker., schedule., limits., event., rpc.)");
  }
}

std::optional<int> optional_max_retries(const json& object) {
  if (!object.contains("max_retries")) return std::nullopt;
  return static_cast<int>(params::required_integer(object, "max_retries", 0, kMaxRetries));
}

std::int64_t optional_timeout_ms(const json& object) {
  return params::integer(object, "timeout_ms", 0, 1, kMaxTaskTimeoutMs);
}

TaskSpec read_task_spec(json& spec, std::size_t batch_size, std::int64_t unix_now,
                        std::span<const std::string_view> caller_fields) {
  if (!spec.is_object()) params::invalid("a task must be an object");
  params::known_fields_only(spec, kTaskFields, caller_fields);
  TaskSpec read;
  NewTask& task = read.task;
  task.function = params::required_string(spec, "function");
  check_function_name(task.function, "function");
  bool array_params = true;
  if (auto params = spec.find("params"); params != spec.end() && !params->is_null()) {
    if (!params->is_array() && !params->is_object()) params::invalid("params must be an array, an object or null");
    array_params = params->is_array();
    task.params_json = rpc::to_text(*params);
  }
  task.max_retries = optional_max_retries(spec);
  task.timeout_ms = optional_timeout_ms(spec);
  if (auto key = params::optional_string(spec, "idempotency_key")) {
    check_name(*key, "idempotency_key");
    task.idempotency_key = std::move(*key);
  }
  if (auto queue = params::optional_string(spec, "queue")) {
    check_name(*queue, "queue");
    task.queue = std::move(*queue);
  }
  task.priority = static_cast<int>(params::integer(spec, "priority", 0, 0, kMaxPriority));
  task.run_at = read_run_at(spec, unix_now);
  read_depends_on(spec, batch_size, read);
  task.on_dependency_failure =
      read_choice(spec, "on_dependency_failure", kDependencyFailureNames, DependencyFailure::Cancel);
  task.pass_results = read_choice(spec, "pass_results", kPassResultsNames, PassResults::None);
  task.unique = params::boolean(spec, "unique", false);
  task.result_ttl_ms = params::integer(spec, "result_ttl_ms", -1, 0, kMaxAheadMs);
  if (auto url = params::optional_string(spec, "callback_url")) {
    std::string why = "callback_url ";
    if (!parse_webhook_url(*url, &why)) params::invalid(why);
    url->erase(std::min(url->find('#'), url->size()));  // never sent, so not kept
    task.callback_url = std::move(*url);
  }
  if (task.pass_results != PassResults::None) {
    if (task.depends_on.empty()) params::invalid("pass_results needs depends_on");
    if (!array_params) params::invalid("pass_results needs params given as an array (or none)");
    if (task.unique) params::invalid("a unique task cannot take pass_results: its params are not known at submit");
  }
  return read;
}

std::vector<TaskId> TaskSpec::existing_dependencies() const {
  std::vector<TaskId> ids;
  for (TaskId id : task.depends_on) {
    if (id != 0) ids.push_back(id);
  }
  return ids;
}

std::vector<std::size_t> creation_order(const std::vector<TaskSpec>& specs) {
  // Kahn's algorithm; entries become ready in index order, so a batch without
  // dependencies keeps its order.
  std::vector<std::size_t> waiting(specs.size(), 0);
  std::vector<std::vector<std::size_t>> dependents(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    for (const auto& dependency : specs[i].batch_dependencies) {
      if (dependency.index == i) params::invalid("tasks[" + std::to_string(i) + "] depends on itself");
      dependents[dependency.index].push_back(i);
      ++waiting[i];
    }
  }
  std::vector<std::size_t> order;
  order.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (waiting[i] == 0) order.push_back(i);
  }
  for (std::size_t next = 0; next < order.size(); ++next) {
    for (std::size_t dependent : dependents[order[next]]) {
      if (--waiting[dependent] == 0) order.push_back(dependent);
    }
  }
  if (order.size() < specs.size()) {
    auto in_cycle = std::find_if(waiting.begin(), waiting.end(), [](std::size_t count) { return count > 0; });
    params::invalid("depends_on forms a cycle: tasks[" + std::to_string(in_cycle - waiting.begin()) +
                    "] could never start");
  }
  return order;
}

}  // namespace zerotask::broker

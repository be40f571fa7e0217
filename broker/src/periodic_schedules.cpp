#include "periodic_schedules.hpp"

#include <stdexcept>

#include "task_spec.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/log.hpp"
#include "zerotask/rpc_error.hpp"

namespace zerotask::broker {
namespace {

constexpr std::size_t kMaxSchedules = 10000;
constexpr std::string_view kScheduleSettingPrefix = "schedule/";
constexpr std::int64_t kMinIntervalMs = 100;
constexpr std::int64_t kMaxIntervalMs = 365LL * 24 * 3600 * 1000;
constexpr std::string_view kScheduleFields[] = {"name", "cron", "interval_ms", "task"};
// Fields of a task that make no sense for a task made again and again.
constexpr std::string_view kNotInSchedule[] = {"depends_on",      "countdown_ms", "eta",
                                               "idempotency_key", "wait",         "require_node"};

}  // namespace

PeriodicSchedules::PeriodicSchedules(TaskStore& store, Scheduler& scheduler, SteadyTime now)
    : store_(store), scheduler_(scheduler) {
  const std::int64_t unix_now = unix_time_ms();
  for (const auto& [key, text] : store_.settings(kScheduleSettingPrefix)) {
    try {
      json stored = json::parse(text);
      Schedule schedule = read(stored);
      schedule.next_run_at = stored.at("next_run_at").get<std::int64_t>();
      schedule.last_run_at = stored.value("last_run_at", std::int64_t{0});
      schedule.last_task = parse_task_id(stored.value("last_task", std::string())).value_or(0);
      arm(schedule, now, unix_now);
      std::string name = schedule.name;
      schedules_.emplace(std::move(name), std::move(schedule));
    } catch (const std::exception& error) {
      log(LogLevel::Warn, "broker", "stored schedule " + key + " is unreadable and was skipped: " + error.what());
    }
  }
  if (!schedules_.empty())
    log(LogLevel::Info, "broker", "recovered " + std::to_string(schedules_.size()) + " schedule(s)");
}

PeriodicSchedules::Schedule PeriodicSchedules::read(const json& definition) {
  if (!definition.is_object()) params::invalid("params must be an object");
  Schedule schedule;
  std::string name = params::required_string(definition, "name");
  check_name(name, "name");
  bool has_cron = definition.contains("cron");
  if (has_cron == definition.contains("interval_ms")) params::invalid("give cron or interval_ms, exactly one");
  schedule.definition = json{{"name", name}};
  if (has_cron) {
    std::string text = params::required_string(definition, "cron");
    try {
      schedule.cron = CronExpression::parse(text);
    } catch (const std::invalid_argument& error) {
      params::invalid(error.what());
    }
    schedule.definition["cron"] = text;
  } else {
    schedule.interval_ms = params::required_integer(definition, "interval_ms", kMinIntervalMs, kMaxIntervalMs);
    schedule.definition["interval_ms"] = schedule.interval_ms;
  }
  auto task = definition.find("task");
  if (task == definition.end() || !task->is_object()) params::invalid("task must be an object: the task.submit params");
  for (auto field : kNotInSchedule) {
    if (task->contains(field)) params::invalid("task: " + std::string(field) + " cannot be given in a schedule");
  }
  try {
    json checked = *task;
    read_task_spec(checked, 0, unix_time_ms());
  } catch (const RpcError& error) {
    params::invalid("task: " + error.error().message);
  }
  schedule.definition["task"] = *task;
  schedule.name = std::move(name);
  return schedule;
}

json PeriodicSchedules::add(const json& params) {
  // Only here: a stored schedule also holds its run times.
  params::known_fields_only(params::object(params), kScheduleFields);
  Schedule schedule = read(params);
  const json& task = schedule.definition["task"];
  auto task_params = task.find("params");
  // Refused now rather than at every run: a store that cannot write, params too large.
  scheduler_.check_submissions(0, task_params == task.end() ? 0 : rpc::to_text(*task_params).size());
  const std::string& name = schedule.name;
  if (!schedules_.contains(name) && schedules_.size() >= kMaxSchedules) {
    throw RpcError(rpc::kOverloaded, "the broker holds its limit of 10000 schedules",
                   json{{"limit", "max_schedules"}, {"value", kMaxSchedules}});
  }
  const std::int64_t unix_now = unix_time_ms();
  schedule.next_run_at = next_run(schedule, unix_now);
  store(schedule);
  arm(schedule, std::chrono::steady_clock::now(), unix_now);
  json answer = to_json(schedule);
  schedules_.insert_or_assign(name, std::move(schedule));
  return answer;
}

json PeriodicSchedules::list() const {
  json all = json::array();
  for (const auto& [name, schedule] : schedules_) all.push_back(to_json(schedule));
  return json{{"schedules", std::move(all)}};
}

json PeriodicSchedules::remove(const json& params) {
  std::string name = params::required_string(params::object(params), "name");
  scheduler_.check_store_available();
  auto it = schedules_.find(name);
  if (it == schedules_.end()) throw RpcError(rpc::kNotFound, "no schedule " + name);
  json answer = to_json(it->second);
  schedules_.erase(it);
  store_.erase_setting(std::string(kScheduleSettingPrefix) + name);
  return answer;
}

void PeriodicSchedules::tick(SteadyTime now) {
  const std::int64_t unix_now = unix_time_ms();
  while (!due_.empty() && due_.begin()->first <= now) {
    auto [name, run_at] = due_.begin()->second;
    due_.erase(due_.begin());
    auto it = schedules_.find(name);
    // Removed or replaced since this timer was set.
    if (it == schedules_.end() || it->second.next_run_at != run_at) continue;
    Schedule& schedule = it->second;
    fire(schedule, unix_now);
    // Planned from the run it replaces, so an interval does not drift; from now when
    // that is past already (the broker was down).
    schedule.next_run_at = next_run(schedule, run_at);
    if (schedule.next_run_at <= unix_now) schedule.next_run_at = next_run(schedule, unix_now);
    store(schedule);
    arm(schedule, now, unix_now);
  }
}

void PeriodicSchedules::fire(Schedule& schedule, std::int64_t unix_now) {
  json spec = schedule.definition["task"];
  try {
    Submitted submitted = scheduler_.submit(std::move(read_task_spec(spec, 0, unix_now).task), std::nullopt);
    schedule.last_task = submitted.id;
    schedule.last_run_at = unix_now;
  } catch (const RpcError& error) {
    // Overloaded, or the store cannot write: this run is skipped, the next one comes.
    log(LogLevel::Warn, "broker", "schedule " + schedule.name + " made no task: " + error.error().message);
  }
}

std::int64_t PeriodicSchedules::next_run(const Schedule& schedule, std::int64_t unix_ms) {
  return schedule.cron ? schedule.cron->next_after(unix_ms) : unix_ms + schedule.interval_ms;
}

void PeriodicSchedules::arm(const Schedule& schedule, SteadyTime now, std::int64_t unix_now) {
  // A run missed while the broker was down comes once, now.
  SteadyTime at = std::max(now, steady_time_of(schedule.next_run_at, now, unix_now));
  due_.emplace(at, std::make_pair(schedule.name, schedule.next_run_at));
}

std::optional<SteadyTime> PeriodicSchedules::next_deadline() const {
  if (due_.empty()) return std::nullopt;
  return due_.begin()->first;
}

json PeriodicSchedules::to_json(const Schedule& schedule) {
  json out = schedule.definition;
  out["next_run_at"] = schedule.next_run_at;
  if (schedule.last_run_at != 0) out["last_run_at"] = schedule.last_run_at;
  if (schedule.last_task != 0) out["last_task"] = format_task_id(schedule.last_task);
  return out;
}

void PeriodicSchedules::store(const Schedule& schedule) {
  store_.put_setting(std::string(kScheduleSettingPrefix) + schedule.name, rpc::to_text(to_json(schedule)));
}

}  // namespace zerotask::broker

#include "rule_engine.hpp"

#include <algorithm>

#include "zerotask/log.hpp"
#include "zerotask/rpc_error.hpp"

namespace zerotask::broker {
namespace {

constexpr std::size_t kMaxEventBytes = 1024;
constexpr std::string_view kEmitFields[] = {"event", "data"};

}  // namespace

RuleEngine::RuleEngine(Rules rules, Scheduler& scheduler) : rules_(std::move(rules)), scheduler_(scheduler) {
  if (rules_.empty()) return;
  scheduler_.on_success([this](const TaskRecord& record) { succeeded_.emplace_back(record.function, record.result); });
}

void RuleEngine::apply() {
  // The successes are stored once the store writes again; their tasks are made then.
  if (!scheduler_.store_available()) return;
  for (auto& [function, result] : std::exchange(succeeded_, {})) {
    for (MadeTask& made : rules_.on_success(function, result)) {
      try {
        scheduler_.submit(std::move(made.task), std::nullopt);
      } catch (const RpcError& error) {
        log(LogLevel::Warn, "broker", "rule '" + made.rule + "' made no task: " + error.error().message);
      }
    }
  }
}

json RuleEngine::emit(const json& params, const Submitter& submitter) {
  const json& spec = params::object(params);
  params::known_fields_only(spec, kEmitFields);
  std::string event = params::required_string(spec, "event");
  if (event.empty() || event.size() > kMaxEventBytes)
    throw RpcError(rpc::kInvalidParams, "event must be 1 to 1024 bytes");
  auto data = spec.find("data");
  std::vector<MadeTask> made = rules_.on_event(event, data == spec.end() ? json() : *data);
  std::size_t largest = 0;
  for (const auto& task : made) largest = std::max(largest, task.task.params_json.size());
  // All or nothing, as task.submit_many.
  scheduler_.check_submissions(made.size(), largest, submitter);
  json ids = json::array();
  for (MadeTask& task : made) {
    task.task.submitter = submitter;
    ids.push_back(format_task_id(scheduler_.submit(std::move(task.task), std::nullopt).id));
  }
  return json{{"tasks", std::move(ids)}};
}

}  // namespace zerotask::broker

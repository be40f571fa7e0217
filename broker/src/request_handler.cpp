#include "request_handler.hpp"

#include <algorithm>
#include <array>

#include "security/access_policy.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/limits.hpp"
#include "zerotask/log.hpp"
#include "zerotask/rpc_error.hpp"
#include "zerotask/version.hpp"

namespace zerotask::broker {
namespace {

constexpr std::size_t kMaxSubmitMany = 10000;
constexpr std::size_t kMaxBatch = 10000;
constexpr std::int64_t kMaxWaitMs = 3600 * 1000;
constexpr std::array<std::string_view, 7> kBuiltinBrokerMethods = {
    "broker.ping",    "broker.stats",         "broker.functions",    "broker.nodes",
    "broker.metrics", "broker.webhooks.take", "broker.webhooks.done"};
constexpr std::int64_t kMaxWebhooksTaken = 1000;
constexpr std::array<std::string_view, 6> kNodeMethods = {"node.hello",    "node.heartbeat", "node.done",
                                                          "node.progress", "node.pull",      "node.bye"};
// The fields of task.submit and of a task.submit_many entry that are not the task's.
constexpr std::string_view kSubmitFields[] = {"wait", "require_node"};
constexpr std::string_view kSubmitManyEntryFields[] = {"require_node"};
constexpr std::string_view kIdFields[] = {"id"};
constexpr std::string_view kWaitFields[] = {"id", "timeout_ms"};
constexpr std::string_view kListFields[] = {"state", "function", "offset", "limit"};

TaskId read_task_id(const json& params) {
  std::string text = params::required_string(params::object(params), "id");
  auto id = parse_task_id(text);
  if (!id) throw RpcError(rpc::kInvalidParams, "id must be 16 lowercase hex digits");
  return *id;
}

// The params object, for handlers that move values out of it; null params become
// an empty object.
json& mutable_object(json& params) {
  if (params.is_null()) params = json::object();
  if (!params.is_object()) throw RpcError(rpc::kInvalidParams, "params must be an object");
  return params;
}

// The submitter of the tasks a caller makes: its key's name and quota.
Submitter submitter_of(const AccessKey* caller) {
  if (!caller) return {};
  return Submitter{caller->name, caller->max_queued};
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// Why a node key may not serve these functions: its entry in the keys file lists
// only some; nullopt when it may serve them all.
std::optional<std::string> serve_refusal(const AccessKey& key, const std::vector<FunctionSpec>& functions) {
  std::vector<std::string> refused;
  for (const auto& function : functions) {
    if (!key.may_serve(function.name)) refused.push_back(function.name);
  }
  if (refused.empty()) return std::nullopt;
  return "key '" + key.name + "' may not serve " + joined(refused) + ": the keys file lets it serve only " +
         joined(key.functions);
}

rpc::Error method_not_found(std::string_view method) {
  return rpc::Error{rpc::kMethodNotFound, "method not found: " + std::string(method), nullptr};
}

// One entry of node.hello's functions: a name, or {name, max_retries?, timeout_ms?}.
FunctionSpec read_function_spec(const json& entry) {
  FunctionSpec spec;
  if (entry.is_string()) {
    spec.name = entry.get<std::string>();
  } else if (entry.is_object()) {
    spec.name = params::required_string(entry, "name");
    spec.max_retries = optional_max_retries(entry);
    spec.timeout_ms = optional_timeout_ms(entry);
  } else {
    throw RpcError(rpc::kInvalidParams, "each function must be a name or an object with a name");
  }
  check_function_name(spec.name, "a function name");
  return spec;
}

// node.hello's running: [{id, attempt}, ...], or nothing.
std::vector<LeaseToken> read_running(const json& hello) {
  std::vector<LeaseToken> tokens;
  auto running = hello.find("running");
  if (running == hello.end() || running->is_null()) return tokens;
  if (!running->is_array() || running->size() > kMaxSlots) {
    throw RpcError(rpc::kInvalidParams, "running must be an array of at most 100000 {id, attempt} objects");
  }
  for (const auto& entry : *running) {
    LeaseToken token;
    token.id = read_task_id(entry);
    token.attempt = static_cast<int>(params::required_integer(entry, "attempt", 1, INT32_MAX));
    tokens.push_back(token);
  }
  return tokens;
}

// node.hello's queues: 1 to 100 names; ["default"] when absent.
std::vector<std::string> read_queues(const json& hello) {
  auto queues = hello.find("queues");
  if (queues == hello.end() || queues->is_null()) return {std::string(kDefaultQueue)};
  if (!queues->is_array() || queues->empty() || queues->size() > kMaxQueues) {
    throw RpcError(rpc::kInvalidParams, "queues must be an array of 1 to 100 queue names");
  }
  std::vector<std::string> names;
  for (const auto& entry : *queues) {
    if (!entry.is_string()) throw RpcError(rpc::kInvalidParams, "each queue must be a name");
    const auto& name = entry.get_ref<const std::string&>();
    check_name(name, "a queue name");
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

// The idempotency key and uniqueness make a submission answer for an earlier task.
json submission_answer(const Submitted& submitted) {
  json answer = {{"id", format_task_id(submitted.id)}, {"state", to_string(submitted.state)}};
  if (submitted.duplicate) answer["duplicate"] = true;
  return answer;
}

}  // namespace

RequestHandler::RequestHandler(Scheduler& scheduler, PeriodicSchedules& schedules, RuleEngine& rules, Outbox& outbox,
                               std::size_t max_depth, std::map<std::string, BrokerMethod, std::less<>> custom_methods)
    : scheduler_(scheduler),
      schedules_(schedules),
      rules_(rules),
      outbox_(outbox),
      limits_{max_depth},
      custom_methods_(std::move(custom_methods)) {}

bool RequestHandler::is_builtin(std::string_view method) {
  for (auto builtin : kBuiltinBrokerMethods) {
    if (builtin == method) return true;
  }
  return false;
}

void RequestHandler::handle_frame(const Envelope& envelope, std::string_view body, SteadyTime now,
                                  const AccessKey* caller) {
  std::string_view routing_id = envelope.routing_id();
  rpc::Frame frame = rpc::decode(body, limits_);
  if (frame.error) {
    outbox_.reply_error(ReplyTo{envelope, nullptr, nullptr, 0}, *frame.error);
    return;
  }
  if (frame.messages.size() > kMaxBatch) {
    outbox_.reply_error(
        ReplyTo{envelope, nullptr, nullptr, 0},
        rpc::Error{rpc::kInvalidRequest,
                   "a batch of " + std::to_string(frame.messages.size()) + " messages is over the limit of 10000",
                   nullptr});
    return;
  }
  std::shared_ptr<BatchReply> batch;
  if (frame.batch) {
    std::size_t answered = 0;
    for (const auto& message : frame.messages) {
      if (std::holds_alternative<rpc::Invalid>(message) ||
          (std::holds_alternative<rpc::Request>(message) && !std::get<rpc::Request>(message).is_notification())) {
        ++answered;
      }
    }
    if (answered > 0) {
      batch = std::make_shared<BatchReply>();
      batch->envelope = envelope;
      batch->responses = json(json::array_t(answered));
      batch->remaining = answered;
    }
  }
  std::size_t slot = 0;
  for (auto& message : frame.messages) {
    if (auto* invalid = std::get_if<rpc::Invalid>(&message)) {
      outbox_.reply_error(ReplyTo{envelope, invalid->id, batch, slot++}, invalid->error);
      continue;
    }
    auto* request = std::get_if<rpc::Request>(&message);
    if (!request) continue;  // a response: the broker sends no requests, so none is expected
    std::optional<ReplyTo> reply_to;
    if (!request->is_notification()) reply_to = ReplyTo{envelope, *request->id, batch, slot++};
    handle(*request, reply_to, routing_id, caller, now);
  }
}

void RequestHandler::handle(rpc::Request& request, const std::optional<ReplyTo>& reply_to, std::string_view routing_id,
                            const AccessKey* caller, SteadyTime now) {
  try {
    std::optional<json> result = call(request, reply_to, routing_id, caller, now);
    if (result && reply_to) outbox_.reply_result(*reply_to, std::move(*result));
  } catch (const RpcError& error) {
    if (reply_to) outbox_.reply_error(*reply_to, error.error());
  } catch (const std::exception& error) {
    log(LogLevel::Error, "broker", "internal error in " + request.method + ": " + error.what());
    if (reply_to) outbox_.reply_error(*reply_to, rpc::Error{rpc::kInternalError, error.what(), nullptr});
  } catch (...) {
    log(LogLevel::Error, "broker", "internal error in " + request.method + ": an unknown exception");
    if (reply_to) outbox_.reply_error(*reply_to, rpc::Error{rpc::kInternalError, "internal error", nullptr});
  }
}

std::optional<json> RequestHandler::call(rpc::Request& request, const std::optional<ReplyTo>& reply_to,
                                         std::string_view routing_id, const AccessKey* caller, SteadyTime now) {
  const std::string& method = request.method;
  if (caller) {
    if (auto refusal = access_refusal(*caller, method)) refuse(*refusal, now);
  }
  if (!rpc::is_reserved_method(method)) {
    check_name(method, "a function name");
    NewTask task;
    task.submitter = submitter_of(caller);
    task.function = method;
    if (!request.params.is_null()) task.params_json = rpc::to_text(request.params);
    scheduler_.submit(std::move(task), reply_to);
    return std::nullopt;
  }
  if (method.starts_with("task.")) return call_task_method(request, reply_to, submitter_of(caller), now);
  if (method.starts_with("node.")) return call_node_method(request, std::string(routing_id), caller, now);
  if (method.starts_with("broker.")) return call_broker_method(request, reply_to, now);
  if (method.starts_with("schedule.")) return call_schedule_method(request);
  if (method == "limits.set") return scheduler_.set_limits(request.params, now);
  if (method == "limits.remove") return scheduler_.remove_limits(request.params);
  if (method == "limits.list") return scheduler_.list_limits();
  if (method == "event.emit") return rules_.emit(request.params, submitter_of(caller));
  throw RpcError(method_not_found(method));
}

void RequestHandler::refuse(const std::string& reason, SteadyTime now) {
  if (refusals_.allow(reason, now)) {
    log(LogLevel::Warn, "broker", "unauthorized: " + reason + " (the same refusal is not logged again for 10 s)");
  }
  throw RpcError(rpc::kUnauthorized, reason);
}

TaskSpec RequestHandler::read_spec(json& spec, std::size_t batch_size) const {
  TaskSpec read = read_task_spec(spec, batch_size, unix_time_ms(),
                                 batch_size == 0 ? std::span<const std::string_view>(kSubmitFields)
                                                 : std::span<const std::string_view>(kSubmitManyEntryFields));
  if (params::boolean(spec, "require_node", false) && !scheduler_.is_served(read.task.queue, read.task.function)) {
    const NewTask& task = read.task;
    std::string where = task.queue == kDefaultQueue ? "" : " from queue '" + task.queue + "'";
    throw RpcError(rpc::kNoNode, "no node serves '" + task.function + "'" + where,
                   json{{"function", task.function}, {"queue", task.queue}});
  }
  return read;
}

json RequestHandler::submit_many(json& spec, const Submitter& submitter) {
  auto tasks = spec.find("tasks");
  if (tasks == spec.end() || !tasks->is_array() || tasks->empty() || tasks->size() > kMaxSubmitMany) {
    throw RpcError(rpc::kInvalidParams, "tasks must be an array of 1 to 10000 tasks");
  }
  std::vector<TaskSpec> specs;
  specs.reserve(tasks->size());
  for (std::size_t i = 0; i < tasks->size(); ++i) {
    try {
      specs.push_back(read_spec((*tasks)[i], tasks->size()));
      scheduler_.check_dependencies(specs.back().existing_dependencies());
      scheduler_.check_payload(specs.back().task.params_json.size());
    } catch (const RpcError& error) {
      throw RpcError(error.code(), "tasks[" + std::to_string(i) + "]: " + error.error().message, error.error().data);
    }
  }
  // All or nothing: a limit or a cycle refuses the whole batch before any task is made.
  scheduler_.check_submissions(specs.size(), 0, submitter);
  std::vector<std::size_t> order = creation_order(specs);
  std::vector<TaskId> made(specs.size(), 0);
  for (std::size_t index : order) {
    NewTask& task = specs[index].task;
    task.submitter = submitter;
    for (const auto& dependency : specs[index].batch_dependencies)
      task.depends_on[dependency.position] = made[dependency.index];
    made[index] = scheduler_.submit(std::move(task), std::nullopt).id;
  }
  json ids = json::array();
  for (TaskId id : made) ids.push_back(format_task_id(id));
  return json{{"ids", std::move(ids)}};
}

std::optional<json> RequestHandler::call_task_method(rpc::Request& request, const std::optional<ReplyTo>& reply_to,
                                                     const Submitter& submitter, SteadyTime now) {
  const std::string& method = request.method;
  if (method == "task.submit") {
    json& spec = mutable_object(request.params);
    bool wait = params::boolean(spec, "wait", false);
    NewTask task = std::move(read_spec(spec, 0).task);
    task.submitter = submitter;
    Submitted submitted = scheduler_.submit(std::move(task), wait ? reply_to : std::nullopt);
    if (wait) return std::nullopt;
    return submission_answer(submitted);
  }
  if (method == "task.submit_many") return submit_many(mutable_object(request.params), submitter);
  if (method == "task.get") {
    params::known_fields_only(params::object(request.params), kIdFields);
    TaskId id = read_task_id(request.params);
    const TaskRecord* record = scheduler_.find(id);
    if (!record) throw RpcError(rpc::kNotFound, "no task " + format_task_id(id));
    return scheduler_.describe(*record);
  }
  if (method == "task.wait") {
    params::known_fields_only(params::object(request.params), kWaitFields);
    TaskId id = read_task_id(request.params);
    auto timeout = params::integer(params::object(request.params), "timeout_ms", 30000, 0, kMaxWaitMs);
    if (!scheduler_.find(id)) throw RpcError(rpc::kNotFound, "no task " + format_task_id(id));
    if (!reply_to) return std::nullopt;
    scheduler_.wait(id, std::chrono::milliseconds(timeout), *reply_to, now);
    return std::nullopt;
  }
  if (method == "task.cancel" || method == "task.retry") {
    params::known_fields_only(params::object(request.params), kIdFields);
    TaskId id = read_task_id(request.params);
    return method == "task.cancel" ? scheduler_.cancel(id, now) : scheduler_.retry(id, submitter);
  }
  if (method == "task.list") {
    const json& spec = params::object(request.params);
    params::known_fields_only(spec, kListFields);
    TaskQuery query;
    if (auto state = params::optional_string(spec, "state")) {
      query.state = parse_task_state(*state);
      if (!query.state)
        throw RpcError(rpc::kInvalidParams,
                       "state must be one of PENDING, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED");
    }
    query.function = params::optional_string(spec, "function");
    query.offset = static_cast<std::size_t>(params::integer(spec, "offset", 0, 0, INT64_MAX));
    query.limit = static_cast<std::size_t>(params::integer(spec, "limit", 100, 1, 1000));
    TaskPage page = scheduler_.list(query);
    json tasks = json::array();
    for (const TaskRecord* record : page.tasks) tasks.push_back(scheduler_.describe(*record));
    return json{{"tasks", std::move(tasks)}, {"total", page.total}};
  }
  throw RpcError(method_not_found(method));
}

std::optional<json> RequestHandler::call_node_method(const rpc::Request& request, const std::string& routing_id,
                                                     const AccessKey* caller, SteadyTime now) {
  const std::string& method = request.method;
  if (method == "node.hello") {
    const json& spec = params::object(request.params);
    std::string name = params::required_string(spec, "node");
    check_name(name, "node");
    auto functions = spec.find("functions");
    if (functions == spec.end() || !functions->is_array() || functions->empty()) {
      throw RpcError(rpc::kInvalidParams, "functions must be a non-empty array");
    }
    std::vector<FunctionSpec> specs;
    for (const auto& function : *functions) {
      FunctionSpec read = read_function_spec(function);
      auto same = [&](const FunctionSpec& seen) { return seen.name == read.name; };
      if (std::find_if(specs.begin(), specs.end(), same) == specs.end()) specs.push_back(std::move(read));
    }
    if (caller) {
      if (auto refusal = serve_refusal(*caller, specs)) refuse(*refusal, now);
    }
    auto slots = params::required_integer(spec, "slots", 0, kMaxSlots);
    return scheduler_.hello(routing_id, std::move(name), std::move(specs), static_cast<std::size_t>(slots),
                            read_running(spec), now, read_queues(spec), caller ? caller->name : std::string());
  }
  if (!scheduler_.touch(routing_id, now)) {
    if (method == "node.done" || method == "node.progress") {
      std::size_t count = 1;
      if (request.params.is_object()) {
        auto results = request.params.find("results");
        if (results != request.params.end() && results->is_array()) count = results->size();
      }
      scheduler_.refuse_from_unknown_peer(count);
    }
    // An unknown method is unknown whoever calls it.
    if (std::find(kNodeMethods.begin(), kNodeMethods.end(), method) == kNodeMethods.end()) {
      throw RpcError(method_not_found(method));
    }
    throw RpcError(rpc::kUnknownNode, "unknown node: send node.hello first");
  }
  if (method == "node.heartbeat") return json{{"epoch", scheduler_.epoch()}};
  if (method == "node.done") {
    const json& spec = params::object(request.params);
    auto results = spec.find("results");
    if (results == spec.end() || !results->is_array()) throw RpcError(rpc::kInvalidParams, "results must be an array");
    scheduler_.done(routing_id, *results);
    return json::object();
  }
  if (method == "node.progress") {
    const json& spec = params::object(request.params);
    TaskId id = read_task_id(spec);
    auto attempt = params::required_integer(spec, "attempt", 0, INT32_MAX);
    auto progress = spec.find("progress");
    auto partial = spec.find("partial");
    if ((progress == spec.end()) == (partial == spec.end())) {
      throw RpcError(rpc::kInvalidParams, "node.progress carries progress or partial, exactly one");
    }
    scheduler_.progress(routing_id, id, attempt, progress == spec.end() ? std::nullopt : std::optional<json>(*progress),
                        partial == spec.end() ? std::nullopt : std::optional<json>(*partial));
    return json::object();
  }
  if (method == "node.pull") {
    auto slots = params::integer(params::object(request.params), "slots", 0, 0, kMaxSlots);
    scheduler_.pull(routing_id, static_cast<std::size_t>(slots));
    return json::object();
  }
  if (method == "node.bye") {
    scheduler_.drop_node(routing_id, "bye");
    return json::object();
  }
  throw RpcError(method_not_found(method));
}

json RequestHandler::call_schedule_method(const rpc::Request& request) {
  const std::string& method = request.method;
  if (method == "schedule.add") return schedules_.add(request.params);
  if (method == "schedule.list") return schedules_.list();
  if (method == "schedule.remove") return schedules_.remove(request.params);
  throw RpcError(method_not_found(method));
}

std::optional<json> RequestHandler::call_broker_method(const rpc::Request& request,
                                                       const std::optional<ReplyTo>& reply_to, SteadyTime now) {
  const std::string& method = request.method;
  if (method == "broker.ping") {
    return json{
        {"pong", true}, {"epoch", scheduler_.epoch()}, {"version", zerotask::version()}, {"time", unix_time_ms()}};
  }
  if (method == "broker.stats") return scheduler_.stats(now);
  if (method == "broker.functions") return scheduler_.functions();
  if (method == "broker.nodes") return scheduler_.nodes(now);
  if (method == "broker.metrics") return scheduler_.metrics(now);
  if (method == "broker.webhooks.take") {
    auto limit = params::integer(params::object(request.params), "limit", 100, 1, kMaxWebhooksTaken);
    if (reply_to) scheduler_.take_webhooks(static_cast<std::size_t>(limit), *reply_to);
    return std::nullopt;
  }
  if (method == "broker.webhooks.done") {
    const json& spec = params::object(request.params);
    TaskId id = read_task_id(spec);
    auto ended_at = params::required_integer(spec, "ended_at", 0, INT64_MAX);
    auto delivered = spec.find("delivered");
    if (delivered == spec.end() || !delivered->is_boolean()) {
      throw RpcError(rpc::kInvalidParams, "delivered must be true or false");
    }
    return json{{"recorded", scheduler_.webhook_done(id, ended_at, delivered->get<bool>())}};
  }
  if (auto custom = custom_methods_.find(method); custom != custom_methods_.end()) {
    return custom->second(request.params);
  }
  throw RpcError(method_not_found(method));
}

}  // namespace zerotask::broker

#include "fake_broker.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include <zmq.hpp>

#include "test_support.hpp"
#include "zerotask/endpoint.hpp"
#include "zerotask/rpc_error.hpp"
#include "zerotask/socket_options.hpp"
#include "zerotask/task_id.hpp"
#include "zerotask/task_state.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::testing {

using Clock = std::chrono::steady_clock;

class FakeBroker::Loop {
 public:
  Loop(std::string endpoint, std::string event_endpoint)
      : endpoint_(std::move(endpoint)), pub_(context_, zmq::socket_type::pub) {
    start();
    apply_socket_limits(pub_, SocketLimits{});
    pub_.bind(event_endpoint);
    thread_ = std::thread([this] { run(); });
  }

  ~Loop() {
    quit_ = true;
    wakeup_.notify();
    thread_.join();
  }

  // Runs `action` on the loop's thread and returns its value.
  template <class Action>
  auto sync(Action action) -> decltype(action()) {
    using Value = decltype(action());
    auto done = std::make_shared<std::promise<Value>>();
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      wake = actions_.empty();
      actions_.push_back([done, action]() mutable {
        try {
          if constexpr (std::is_void_v<Value>) {
            action();
            done->set_value();
          } else {
            done->set_value(action());
          }
        } catch (...) {
          done->set_exception(std::current_exception());
        }
      });
    }
    if (wake) wakeup_.notify();
    auto result = done->get_future();
    if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      throw std::runtime_error("the fake broker did not answer within 10 s");
    }
    return result.get();
  }

  // Loop-thread state, changed through sync().
  std::map<std::string, Function> served;
  std::vector<std::string> held;
  std::chrono::milliseconds wait_cap{std::chrono::hours(1)};
  bool garbage = false;
  std::set<std::string> answers_dropped;       // methods
  std::map<std::string, rpc::Error> refusals;  // method -> the error it is answered with
  std::map<std::string, std::string> rules;    // event -> the function its emit makes a task of

  void stop() {
    router_.reset();
    answers_dropped.clear();
    for (auto& [id, task] : tasks_) task.waiters.clear();
  }

  void stop_gracefully() {
    rpc::Error stopping{rpc::kInternalError, "the broker is stopping", {{"type", rpc::kBrokerStoppingType}}};
    for (auto& [id, task] : tasks_) {
      for (const Waiter& waiter : task.waiters) reply(waiter.envelope, rpc::encode_error(waiter.request_id, stopping));
    }
    stop();
  }

  void start() {
    if (router_) return;
    zmq::socket_t router(context_, zmq::socket_type::router);
    apply_socket_limits(router, SocketLimits{});
    // A closed socket's port is released asynchronously.
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (true) {
      try {
        router.bind(endpoint_);
        break;
      } catch (const zmq::error_t& error) {
        if (error.num() != EADDRINUSE || Clock::now() > deadline) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    router_.emplace(std::move(router));
  }

  std::vector<std::string> tasks_of(const std::string& function) {
    std::vector<std::string> ids;
    for (const auto& id : order_) {
      if (tasks_.at(id).object["function"] == function) ids.push_back(id);
    }
    return ids;
  }

  json task(const std::string& id) { return tasks_.at(id).object; }

  void finish(const std::string& id, json result) {
    Task& task = tasks_.at(id);
    task.object["state"] = "SUCCEEDED";
    task.object["result"] = std::move(result);
    release(task);
  }

  void finish_all(const std::string& function, const Function& result_of) {
    std::vector<std::string> ids = tasks_of(function);
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
      if (!is_final(tasks_.at(*it))) finish(*it, result_of(tasks_.at(*it).object["params"]));
    }
  }

  void fail(const std::string& id, const rpc::Error& error) {
    Task& task = tasks_.at(id);
    task.object["state"] = "FAILED";
    task.object["error"] = error.to_json();
    release(task);
  }

  void cancel(const std::string& id, const rpc::Error& error) {
    Task& task = tasks_.at(id);
    task.object["state"] = "CANCELLED";
    task.object["error"] = error.to_json();
    release(task);
  }

  // Kept in the task object too, as a broker does.
  void publish_progress(const std::string& id, json progress) {
    if (auto task = tasks_.find(id); task != tasks_.end()) task->second.object["progress"] = progress;
    publish(id, {{"id", id}, {"state", "RUNNING"}, {"attempt", 1}, {"progress", std::move(progress)}});
  }

  void stream_partial(const std::string& id, json partial) {
    std::size_t index = keep_partial(id, partial);
    publish(id, {{"id", id}, {"state", "RUNNING"}, {"attempt", 1}, {"partial", std::move(partial)}, {"index", index}});
  }

  // Its index.
  std::size_t keep_partial(const std::string& id, json partial) {
    json& partials = tasks_.at(id).object["partials"];
    if (!partials.is_array()) partials = json::array();
    partials.push_back(std::move(partial));
    return partials.size() - 1;
  }

  int requests(const std::string& method) { return counts_[method]; }
  json last_params(const std::string& method) { return last_params_[method]; }

 private:
  using Envelope = std::vector<std::string>;

  struct Waiter {
    Envelope envelope;
    json request_id;
    bool direct_call = false;  // a task.submit with wait: answered like a direct call
    Clock::time_point deadline = Clock::time_point::max();
  };

  struct Task {
    json object;
    std::vector<Waiter> waiters;
  };

  void run() {
    while (!quit_) {
      std::array<zmq::pollitem_t, 2> items{
          {{nullptr, wakeup_.fd(), ZMQ_POLLIN, 0}, {router_ ? router_->handle() : nullptr, 0, ZMQ_POLLIN, 0}}};
      // Short, so that held task.wait calls are answered close to their deadline.
      zmq::poll(items.data(), router_ ? 2 : 1, std::chrono::milliseconds(5));
      if (items[0].revents & ZMQ_POLLIN) wakeup_.clear();
      if (router_ && (items[1].revents & ZMQ_POLLIN)) receive();
      std::vector<std::function<void()>> actions;
      {
        std::lock_guard lock(mutex_);
        actions.swap(actions_);
      }
      for (auto& action : actions) action();
      expire_waits();
    }
  }

  void receive() {
    zmq::message_t frame;
    for (int budget = 0; budget < 1000; ++budget) {
      Envelope frames;
      if (!router_->recv(frame, zmq::recv_flags::dontwait)) return;
      frames.push_back(frame.to_string());
      while (frame.more()) {
        (void)router_->recv(frame, zmq::recv_flags::none);
        frames.push_back(frame.to_string());
      }
      std::string body = std::move(frames.back());
      frames.pop_back();
      rpc::Frame decoded = rpc::decode(body);
      if (decoded.error || decoded.batch) {
        reply(frames, rpc::encode_error(
                          nullptr, decoded.error.value_or(rpc::Error{rpc::kInvalidRequest, "no batches", nullptr})));
        continue;
      }
      for (auto& message : decoded.messages) {
        if (auto* request = std::get_if<rpc::Request>(&message); request && request->id) handle(frames, *request);
      }
    }
  }

  void reply(const Envelope& envelope, const std::string& body) {
    if (garbage) {
      std::string deep(200, '[');
      deep += std::string(200, ']');
      for (const std::string& junk :
           {std::string("not json"), std::string("[]"), std::string("42"), deep,
            std::string(R"({"jsonrpc":"2.0","id":987654321,"result":1})"),
            std::string(R"({"jsonrpc":"2.0","id":"abc","result":1})"),
            std::string(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}})"),
            std::string(R"({"jsonrpc":"2.0","method":"surprise"})"), std::string(R"({"id":1,"result":1})")}) {
        send(envelope, junk);
      }
    }
    send(envelope, body);
  }

  void send(const Envelope& envelope, const std::string& body) {
    for (const auto& part : envelope) router_->send(zmq::buffer(part), zmq::send_flags::sndmore);
    router_->send(zmq::buffer(body), zmq::send_flags::none);
  }

  void handle(const Envelope& from, const rpc::Request& request) {
    ++counts_[request.method];
    last_params_[request.method] = request.params;
    // No peer has this routing id: the ROUTER drops what is sent to it.
    const Envelope envelope = answers_dropped.contains(request.method) ? Envelope{"nowhere"} : from;
    const json& id = *request.id;
    try {
      if (auto refusal = refusals.find(request.method); refusal != refusals.end()) throw RpcError(refusal->second);
      if (request.method.find('.') == std::string::npos) {
        return submit(envelope, id, {{"function", request.method}, {"params", request.params}, {"wait", true}});
      }
      if (request.method == "task.submit") return submit(envelope, id, request.params);
      if (request.method == "task.submit_many") return submit_many(envelope, id, request.params);
      if (request.method == "task.wait") return wait(envelope, id, request.params);
      if (request.method == "task.get") return reply(envelope, rpc::encode_result(id, find(request.params).object));
      if (request.method == "task.cancel") return cancel(envelope, id, request.params);
      if (auto answer = automation_answer(request.method, request.params)) {
        return reply(envelope, rpc::encode_result(id, *answer));
      }
      if (request.method == "broker.functions") return reply(envelope, rpc::encode_result(id, functions()));
      if (request.method == "broker.stats") return reply(envelope, rpc::encode_result(id, {{"store", "fake"}}));
      throw RpcError(rpc::kMethodNotFound, "unknown method " + request.method);
    } catch (const RpcError& error) {
      reply(envelope, rpc::encode_error(id, error.error()));
    }
  }

  // The answer to a schedule.*, limits.* or event.emit request; nothing for another
  // method.
  std::optional<json> automation_answer(const std::string& method, const json& params) {
    if (method == "schedule.add") return add_schedule(params);
    if (method == "schedule.list") return all("schedules", schedules_);
    if (method == "schedule.remove") return remove(schedules_, params, "name", "no schedule ");
    if (method == "limits.set") return set_limits(params);
    if (method == "limits.list") return all("limits", limits_);
    if (method == "limits.remove") return remove(limits_, params, "function", "no limits on function ");
    if (method == "event.emit") return emit(params);
    return std::nullopt;
  }

  // The schedule object, as the broker answers it (but never run).
  json add_schedule(const json& params) {
    const json& object = params::object(params);
    std::string name = params::required_string(object, "name");
    json schedule = {{"name", name}};
    if (object.contains("cron") == object.contains("interval_ms")) {
      throw RpcError(rpc::kInvalidParams, "give cron or interval_ms, exactly one");
    }
    if (object.contains("cron")) {
      schedule["cron"] = params::required_string(object, "cron");
    } else {
      schedule["interval_ms"] = params::required_integer(object, "interval_ms", 100, 31'536'000'000);
    }
    auto task = object.find("task");
    if (task == object.end() || !task->is_object()) throw RpcError(rpc::kInvalidParams, "task must be an object");
    params::required_string(*task, "function");
    for (const char* field : {"depends_on", "countdown_ms", "eta", "idempotency_key", "wait"}) {
      if (task->contains(field)) {
        throw RpcError(rpc::kInvalidParams, "task: " + std::string(field) + " cannot be given in a schedule");
      }
    }
    schedule["task"] = *task;
    schedule["next_run_at"] = kFakeNextRunAt;
    schedules_[name] = schedule;
    return schedule;
  }

  json set_limits(const json& params) {
    const json& object = params::object(params);
    std::string function = params::required_string(object, "function");
    json limits = {{"function", function}};
    if (auto rate = object.find("rate_per_s"); rate != object.end()) {
      if (!rate->is_number() || !(rate->get<double>() > 0)) {
        throw RpcError(rpc::kInvalidParams, "rate_per_s must be a number above 0");
      }
      limits["rate_per_s"] = rate->get<double>();
      limits["burst"] =
          params::integer(object, "burst", static_cast<std::int64_t>(std::ceil(rate->get<double>())), 1, 1'000'000);
    } else if (object.contains("burst")) {
      throw RpcError(rpc::kInvalidParams, "burst needs rate_per_s");
    }
    if (object.contains("concurrency")) limits["concurrency"] = params::integer(object, "concurrency", 0, 1, 1'000'000);
    if (limits.size() == 1) throw RpcError(rpc::kInvalidParams, "give rate_per_s, concurrency or both");
    limits_[function] = limits;
    return limits;
  }

  // {"<key>": [...]}: the values of `named`, sorted by name.
  static json all(const char* key, const std::map<std::string, json>& named) {
    json list = json::array();
    for (const auto& [name, value] : named) list.push_back(value);
    return {{key, list}};
  }

  // The value removed, or not_found ("<missing><name>").
  static json remove(std::map<std::string, json>& named, const json& params, const char* key,
                     const std::string& missing) {
    std::string name = params::required_string(params::object(params), key);
    auto it = named.find(name);
    if (it == named.end()) throw RpcError(rpc::kNotFound, missing + name);
    json value = std::move(it->second);
    named.erase(it);
    return value;
  }

  json emit(const json& params) {
    const json& object = params::object(params);
    std::string event = params::required_string(object, "event");
    if (event.empty()) throw RpcError(rpc::kInvalidParams, "event must be 1 to 1024 bytes");
    json ids = json::array();
    if (auto rule = rules.find(event); rule != rules.end()) {
      json params_of_task = object.contains("data") ? json::array({object["data"]}) : json::array();
      ids.push_back(make_task({{"function", rule->second}, {"params", params_of_task}}));
    }
    return {{"tasks", ids}};
  }

  bool is_served(const std::string& function) const {
    return served.contains(function) || std::find(held.begin(), held.end(), function) != held.end();
  }

  Task& find(const json& params) {
    std::string id = params::required_string(params::object(params), "id");
    auto it = tasks_.find(id);
    if (it == tasks_.end()) throw RpcError(rpc::kNotFound, "no task " + id);
    return it->second;
  }

  void submit(const Envelope& envelope, const json& request_id, const json& params) {
    const json& object = params::object(params);
    std::optional<std::string> key = params::optional_string(object, "idempotency_key");
    const bool duplicate = key && keys_.contains(*key);
    std::string id = make_task(object);
    Task& task = tasks_.at(id);
    if (params::boolean(object, "wait", false)) {
      task.waiters.push_back(Waiter{envelope, request_id, true});
      if (is_final(task)) release(task);
      return;
    }
    json answer = {{"id", id}, {"state", duplicate ? task.object["state"] : json("QUEUED")}};
    if (duplicate) answer["duplicate"] = true;
    reply(envelope, rpc::encode_result(request_id, answer));
  }

  // Makes every entry's task, as task.submit would, without running dependencies.
  void submit_many(const Envelope& envelope, const json& request_id, const json& params) {
    const json& object = params::object(params);
    auto tasks = object.find("tasks");
    if (tasks == object.end() || !tasks->is_array() || tasks->empty()) {
      throw RpcError(rpc::kInvalidParams, "tasks must be a non-empty array");
    }
    json ids = json::array();
    for (const json& entry : *tasks) ids.push_back(make_task(params::object(entry)));
    reply(envelope, rpc::encode_result(request_id, {{"ids", ids}}));
  }

  // The id of the task a submission names: the one its idempotency key already
  // names, else a new one, run at once when its function is served.
  std::string make_task(const json& object) {
    std::string function = params::required_string(object, "function");
    std::optional<std::string> key = params::optional_string(object, "idempotency_key");
    if (auto first = key ? keys_.find(*key) : keys_.end(); first != keys_.end()) return first->second;
    if (params::boolean(object, "require_node", false) && !is_served(function)) {
      throw RpcError(rpc::kNoNode, "no node serves '" + function + "'");
    }
    std::string id = format_task_id(ids_.next());
    order_.push_back(id);
    Task& task = tasks_[id];
    task.object = {{"id", id},
                   {"function", function},
                   {"params", object.value("params", json::array())},
                   {"state", "QUEUED"},
                   {"attempt", 0}};
    for (const char* field :
         {"max_retries", "timeout_ms", "idempotency_key", "queue", "priority", "countdown_ms", "eta", "depends_on",
          "on_dependency_failure", "pass_results", "unique", "result_ttl_ms"}) {
      if (object.contains(field)) task.object[field] = object[field];
    }
    if (key) keys_[*key] = id;
    if (auto body = served.find(function); body != served.end()) {
      task.object["attempt"] = 1;
      try {
        task.object["result"] = body->second(task.object["params"]);
        task.object["state"] = "SUCCEEDED";
      } catch (const RpcError& error) {
        task.object["error"] = error.error().to_json();
        task.object["state"] = "FAILED";
      }
    } else if (is_served(function)) {
      task.object["attempt"] = 1;
      task.object["state"] = "RUNNING";
    }
    return id;
  }

  void wait(const Envelope& envelope, const json& request_id, const json& params) {
    Task& task = find(params);
    auto timeout = std::chrono::milliseconds(params::integer(params::object(params), "timeout_ms", 30000, 0, 3600000));
    if (is_final(task)) return reply(envelope, rpc::encode_result(request_id, task.object));
    task.waiters.push_back(Waiter{envelope, request_id, false, Clock::now() + std::min(timeout, wait_cap)});
  }

  // A running task's cancel is only requested: its node would end it later.
  void cancel(const Envelope& envelope, const json& request_id, const json& params) {
    Task& task = find(params);
    if (task.object["state"] == "RUNNING") {
      task.object["cancel_requested"] = true;
      return reply(envelope, rpc::encode_result(request_id, task.object));
    }
    if (task.object["state"] != "QUEUED")
      throw RpcError(rpc::kNotCancellable, "task is " + task.object["state"].get<std::string>());
    task.object["state"] = "CANCELLED";
    reply(envelope, rpc::encode_result(request_id, task.object));
    release(task);
  }

  json functions() const {
    std::map<std::string, int> nodes;
    for (const auto& [name, body] : served) nodes[name] = 1;
    for (const auto& name : held) nodes[name] = 1;
    for (const auto& [id, task] : tasks_) nodes.try_emplace(task.object["function"].get<std::string>(), 0);
    json list = json::array();
    for (const auto& [name, count] : nodes)
      list.push_back({{"name", name}, {"nodes", count}, {"queued", 0}, {"running", 0}});
    return {{"functions", list}};
  }

  static bool is_final(const Task& task) {
    auto state = parse_task_state(task.object["state"].get<std::string>());
    return state && zerotask::is_final(*state);
  }

  void publish(const std::string& id, const json& event) {
    std::string topic = "task." + id;
    pub_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    pub_.send(zmq::buffer(rpc::to_text(event)), zmq::send_flags::none);
  }

  // Answers everyone waiting for a task that is now final.
  void release(Task& task) {
    std::vector<Waiter> waiters;
    waiters.swap(task.waiters);
    for (const Waiter& waiter : waiters) {
      if (!waiter.direct_call) {
        reply(waiter.envelope, rpc::encode_result(waiter.request_id, task.object));
      } else if (task.object["state"] == "SUCCEEDED") {
        reply(waiter.envelope, rpc::encode_result(waiter.request_id, task.object["result"]));
      } else if (task.object["state"] == "CANCELLED") {
        reply(waiter.envelope,
              rpc::encode_error(waiter.request_id,
                                rpc::Error{rpc::kCancelled, "task was cancelled", {{"task", task.object["id"]}}}));
      } else {
        const json& error = task.object["error"];
        json data = error.value("data", json::object());
        data["task"] = task.object["id"];
        reply(waiter.envelope,
              rpc::encode_error(waiter.request_id,
                                rpc::Error{error["code"].get<int>(), error["message"].get<std::string>(), data}));
      }
    }
  }

  void expire_waits() {
    auto now = Clock::now();
    for (auto& [id, task] : tasks_) {
      auto& waiters = task.waiters;
      for (auto it = waiters.begin(); it != waiters.end();) {
        if (!it->direct_call && it->deadline <= now) {
          reply(it->envelope, rpc::encode_result(it->request_id, task.object));
          it = waiters.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  const std::string endpoint_;
  zmq::context_t context_;
  std::optional<zmq::socket_t> router_;  // empty while stopped
  zmq::socket_t pub_;
  std::thread thread_;
  std::atomic<bool> quit_{false};
  zerotask::Wakeup wakeup_;
  std::mutex mutex_;
  std::vector<std::function<void()>> actions_;
  TaskIdGenerator ids_;
  std::map<std::string, Task> tasks_;
  std::map<std::string, std::string> keys_;  // idempotency key -> task id
  std::vector<std::string> order_;
  std::map<std::string, json> schedules_;  // by name
  std::map<std::string, json> limits_;     // by function
  std::map<std::string, int> counts_;
  std::map<std::string, json> last_params_;
};

FakeBroker::FakeBroker(std::string endpoint) : endpoint_(std::move(endpoint)) {
  if (endpoint_.empty()) endpoint_ = free_tcp_endpoint();
  event_endpoint_ = *default_event_endpoint(endpoint_);
  loop_ = std::make_unique<Loop>(endpoint_, event_endpoint_);
}

FakeBroker::~FakeBroker() = default;

void FakeBroker::serve(const std::string& function, Function body) {
  loop_->sync([&] { loop_->served[function] = body; });
}

void FakeBroker::hold(const std::string& function) {
  loop_->sync([&] { loop_->held.push_back(function); });
}

void FakeBroker::on_event(const std::string& event, const std::string& function) {
  loop_->sync([&] { loop_->rules[event] = function; });
}

void FakeBroker::cap_waits(std::chrono::milliseconds cap) {
  loop_->sync([&] { loop_->wait_cap = cap; });
}

void FakeBroker::send_garbage_before_answers() {
  loop_->sync([&] { loop_->garbage = true; });
}

void FakeBroker::drop_answers_to(const std::string& method) {
  loop_->sync([&] { loop_->answers_dropped.insert(method); });
}

void FakeBroker::refuse(const std::string& method, rpc::Error error) {
  loop_->sync([&] { loop_->refusals[method] = error; });
}

void FakeBroker::stop() {
  loop_->sync([&] { loop_->stop(); });
}

void FakeBroker::stop_gracefully() {
  loop_->sync([&] { loop_->stop_gracefully(); });
}

void FakeBroker::start() {
  loop_->sync([&] { loop_->start(); });
}

std::vector<std::string> FakeBroker::tasks_of(const std::string& function) {
  return loop_->sync([&] { return loop_->tasks_of(function); });
}

json FakeBroker::task(const std::string& id) {
  return loop_->sync([&] { return loop_->task(id); });
}

void FakeBroker::finish(const std::string& id, json result) {
  loop_->sync([&] { loop_->finish(id, result); });
}

void FakeBroker::finish_all(const std::string& function, const Function& result_of) {
  loop_->sync([&] { loop_->finish_all(function, result_of); });
}

void FakeBroker::fail(const std::string& id, rpc::Error error) {
  loop_->sync([&] { loop_->fail(id, error); });
}

void FakeBroker::cancel(const std::string& id, rpc::Error error) {
  loop_->sync([&] { loop_->cancel(id, error); });
}

void FakeBroker::publish_progress(const std::string& id, json progress) {
  loop_->sync([&] { loop_->publish_progress(id, progress); });
}

void FakeBroker::stream_partial(const std::string& id, json partial) {
  loop_->sync([&] { loop_->stream_partial(id, partial); });
}

void FakeBroker::keep_partial(const std::string& id, json partial) {
  loop_->sync([&] { loop_->keep_partial(id, partial); });
}

int FakeBroker::requests(const std::string& method) {
  return loop_->sync([&] { return loop_->requests(method); });
}

json FakeBroker::last_params(const std::string& method) {
  return loop_->sync([&] { return loop_->last_params(method); });
}

}  // namespace zerotask::testing

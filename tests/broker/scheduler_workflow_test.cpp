// The scheduler's workflow features (issue 4): dependencies, countdown and eta,
// named queues and priorities, unique tasks, result TTLs, cancellation of running
// tasks and partial results. Time is driven through tick(); nothing sleeps.
#include <doctest/doctest.h>

#include <map>

#include "periodic_schedules.hpp"
#include "request_handler.hpp"
#include "rule_engine.hpp"
#include "scheduler_fixture.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/error_codes.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using namespace zerotask::broker::testing;
using namespace std::chrono_literals;

namespace {

TaskId id_of(const json& run) {
  return *parse_task_id(run["id"].get<std::string>());
}

std::vector<TaskId> ids_of(const json& runs) {
  std::vector<TaskId> ids;
  for (const auto& run : runs) ids.push_back(id_of(run));
  return ids;
}

NewTask depending(std::string function, std::vector<TaskId> on, const json& params = json::array()) {
  NewTask made = task(std::move(function), params);
  made.depends_on = std::move(on);
  return made;
}

NewTask failing_once(std::string function) {
  NewTask made = task(std::move(function));
  made.max_retries = 0;
  return made;
}

// The error data of a task cancelled because of a dependency.
json dependency_error_data(TaskId task_id, TaskId dependency, std::string_view state) {
  return json{
      {"task", format_task_id(task_id)}, {"dependency", format_task_id(dependency)}, {"dependency_state", state}};
}

// The notifications (node.cancel) among the messages sent since the last call.
json node_cancels(Fixture& f) {
  json cancels = json::array();
  for (auto& message : f.take_replies()) {
    if (message.contains("method") && message["method"] == "node.cancel") cancels.push_back(message);
  }
  return cancels;
}

// The tasks of every node.run sent since the last call, by routing id.
std::map<std::string, std::vector<TaskId>> runs_by_node(Fixture& f) {
  std::map<std::string, std::vector<TaskId>> runs;
  for (auto& message : f.outbox.take_hand_outs()) {
    json body = json::parse(message.body);
    for (const auto& run : body["params"]["tasks"]) runs[std::string(message.to.routing_id())].push_back(id_of(run));
  }
  return runs;
}

std::size_t running_on(Fixture& f, const std::string& name) {
  json nodes = f.scheduler.nodes(f.now);  // kept: a range-for over a temporary's member would dangle
  for (const auto& node : nodes["nodes"]) {
    if (node["name"] == name) return node["running"].get<std::size_t>();
  }
  FAIL("no node " << name);
  return 0;
}

std::size_t running_of(Fixture& f, const std::string& function) {
  json functions = f.scheduler.functions();
  for (const auto& entry : functions["functions"]) {
    if (entry["name"] == function) return entry["running"].get<std::size_t>();
  }
  return 0;
}

// Requests through the request handler, for what it adds on top of the scheduler
// (task.submit_many's batch indexes).
struct Requests {
  explicit Requests(Fixture& fixture) : f(fixture) {}

  json call(const std::string& method, const json& params) {
    json request = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
    handler.handle_frame(Envelope::for_routing_id("client"), request.dump(), f.now);
    json replies = f.take_replies();
    REQUIRE(replies.size() == 1);
    return replies[0];
  }

  // The handler's collaborators, none of them used here: the one place to follow
  // the handler's constructor.
  Fixture& f;
  PeriodicSchedules schedules{f.store, f.scheduler, f.now};
  RuleEngine rules{Rules{}, f.scheduler};
  RequestHandler handler{f.scheduler, schedules, rules, f.outbox, 64, {}};
};

}  // namespace

// ---------------------------------------------------------------- dependencies

TEST_CASE("a task waits PENDING until every dependency SUCCEEDED, then is queued (a diamond)" * doctest::timeout(10)) {
  Fixture f;
  TaskId a = f.submit(task("step", json::array({"a"})), std::nullopt);
  TaskId b = f.submit(depending("step", {a}, json::array({"b"})), std::nullopt);
  TaskId c = f.submit(depending("step", {a}, json::array({"c"})), std::nullopt);
  Submitted d = f.scheduler.submit(depending("step", {b, c}, json::array({"d"})), std::nullopt);
  CHECK(d.state == TaskState::Pending);
  CHECK_FALSE(d.duplicate);
  json pending = to_json(f.record(d.id));
  CHECK(pending["depends_on"] == json::array({format_task_id(b), format_task_id(c)}));
  CHECK(pending["waiting_for"] == 2);
  CHECK(f.scheduler.stats(f.now)["tasks"]["PENDING"] == 3);

  f.hello("n1", "node-1", "step", 4, f.now);
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("n1"))) == text({a}));
  f.report("n1", a, 1, "A");
  CHECK(f.record(b).state == TaskState::Queued);
  CHECK(f.record(c).state == TaskState::Queued);
  CHECK(f.record(d.id).state == TaskState::Pending);
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("n1"))) == text({b, c}));
  f.report("n1", c, 1, "C");
  CHECK(f.record(d.id).state == TaskState::Pending);
  CHECK(to_json(f.record(d.id))["waiting_for"] == 1);
  f.report("n1", b, 1, "B");
  CHECK(f.record(d.id).state == TaskState::Queued);
  CHECK_FALSE(to_json(f.record(d.id)).contains("waiting_for"));
  f.scheduler.dispatch();
  json last = f.runs_for("n1");
  REQUIRE(last.size() == 1);
  CHECK(id_of(last[0]) == d.id);
  CHECK(last[0]["params"] == json::array({"d"}));  // no pass_results: the params as given
}

TEST_CASE("a failed dependency cancels its dependents and theirs, naming the dependency in the error" *
          doctest::timeout(10)) {
  Fixture f;
  TaskId a = f.submit(failing_once("step"), std::nullopt);
  TaskId b = f.submit(depending("step", {a}), std::nullopt);
  TaskId c = f.submit(depending("step", {b}), f.client(42));
  f.hello("n1", "node-1", "step", 1, f.now);
  f.scheduler.dispatch();
  REQUIRE(text(ids_of(f.runs_for("n1"))) == text({a}));
  f.report_error("n1", a, 1);
  CHECK(f.record(a).state == TaskState::Failed);

  const TaskRecord& cancelled_b = f.record(b);
  CHECK(cancelled_b.state == TaskState::Cancelled);
  CHECK(cancelled_b.error["code"] == rpc::kCancelled);
  CHECK(cancelled_b.error["data"] == dependency_error_data(b, a, "FAILED"));
  CHECK(cancelled_b.error["message"] ==
        "task " + format_task_id(b) + " was cancelled: its dependency " + format_task_id(a) + " is FAILED");
  const TaskRecord& cancelled_c = f.record(c);
  CHECK(cancelled_c.state == TaskState::Cancelled);
  CHECK(cancelled_c.error["data"] == dependency_error_data(c, b, "CANCELLED"));
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["id"] == 42);
  CHECK(replies[0]["error"]["code"] == rpc::kCancelled);
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());
}

TEST_CASE("a chain of 5,000 tasks cancelled at its head is cancelled to its end without recursing" *
          doctest::timeout(60)) {
  SchedulerConfig config = test_config();
  Fixture f(config);
  constexpr int kLength = 5000;
  std::vector<TaskId> chain;
  chain.push_back(f.submit(task("step"), std::nullopt));
  for (int i = 1; i < kLength; ++i) chain.push_back(f.submit(depending("step", {chain.back()}), std::nullopt));
  CHECK(f.scheduler.stats(f.now)["tasks"]["PENDING"] == kLength - 1);
  f.scheduler.cancel(chain.front(), f.now);
  CHECK(f.scheduler.stats(f.now)["tasks"]["CANCELLED"] == kLength);
  CHECK(f.scheduler.stats(f.now)["tasks"]["PENDING"] == 0);
  CHECK(f.record(chain.back()).error["data"] == dependency_error_data(chain.back(), chain[kLength - 2], "CANCELLED"));
  f.hello("n1", "node-1", "step", 10, f.now);
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());
}

TEST_CASE("on_dependency_failure run runs the task once its dependencies are final, null for a failed one" *
          doctest::timeout(10)) {
  Fixture f;
  TaskId failed = f.submit(failing_once("step"), std::nullopt);
  TaskId succeeded = f.submit(task("step"), std::nullopt);
  NewTask anyway = depending("collect", {failed, succeeded}, json::array({"extra"}));
  anyway.on_dependency_failure = DependencyFailure::Run;
  anyway.pass_results = PassResults::List;
  TaskId collect = f.submit(std::move(anyway), std::nullopt);
  CHECK(to_json(f.record(collect))["on_dependency_failure"] == "run");
  CHECK(to_json(f.record(collect))["pass_results"] == "list");
  f.hello("n1", "node-1", "step", 2, f.now);
  f.scheduler.dispatch();
  REQUIRE(f.runs_for("n1").size() == 2);
  f.report_error("n1", failed, 1);
  CHECK(f.record(collect).state == TaskState::Pending);
  f.report("n1", succeeded, 1, json{{"rows", 3}});
  CHECK(f.record(collect).state == TaskState::Queued);
  f.hello("n2", "node-2", "collect", 1, f.now);
  f.scheduler.dispatch();
  json run = f.runs_for("n2");
  REQUIRE(run.size() == 1);
  CHECK(run[0]["params"] == json::array({json::array({nullptr, json{{"rows", 3}}}), "extra"}));
}

TEST_CASE("pass_results prepend puts each dependency's result before the params, in depends_on order" *
          doctest::timeout(10)) {
  Fixture f;
  TaskId a = f.submit(task("step"), std::nullopt);
  TaskId b = f.submit(task("step"), std::nullopt);
  NewTask joined = depending("join", {b, a}, json::array({9}));
  joined.pass_results = PassResults::Prepend;
  TaskId join = f.submit(std::move(joined), std::nullopt);
  f.hello("n1", "node-1", "step", 2, f.now);
  f.scheduler.dispatch();
  REQUIRE(f.runs_for("n1").size() == 2);
  // a ends first; the order is still depends_on's.
  f.report("n1", a, 1, 1);
  CHECK(f.record(join).params_json == "[9]");
  f.report("n1", b, 1, "two");
  CHECK(json::parse(f.record(join).params_json) == json::array({"two", 1, 9}));
  f.hello("n2", "node-2", "join", 1, f.now);
  f.scheduler.dispatch();
  json run = f.runs_for("n2");
  REQUIRE(run.size() == 1);
  CHECK(run[0]["params"] == json::array({"two", 1, 9}));
}

TEST_CASE("pass_results list puts one leading param: the array of the results" * doctest::timeout(10)) {
  Fixture f;
  TaskId a = f.submit(task("step"), std::nullopt);
  TaskId b = f.submit(task("step"), std::nullopt);
  NewTask listed = depending("sum", {a, b});
  listed.pass_results = PassResults::List;
  TaskId sum = f.submit(std::move(listed), std::nullopt);
  f.hello("n1", "node-1", "step", 2, f.now);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", b, 1, json::array({2, 3}));
  f.report("n1", a, 1, 1);
  CHECK(json::parse(f.record(sum).params_json) == json::array({json::array({1, json::array({2, 3})})}));
}

TEST_CASE("a dependency that already succeeded at submit passes its result and the task is queued at once" *
          doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "step", 1, f.now);
  TaskId a = f.submit(task("step"), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", a, 1, 5);
  NewTask later = depending("step", {a}, json::array({"x"}));
  later.pass_results = PassResults::Prepend;
  Submitted b = f.scheduler.submit(std::move(later), std::nullopt);
  CHECK(b.state == TaskState::Queued);
  f.scheduler.dispatch();
  json run = f.runs_for("n1");
  REQUIRE(run.size() == 1);
  CHECK(run[0]["params"] == json::array({5, "x"}));
}

TEST_CASE("a dependency that already failed at submit makes the task CANCELLED at once" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "step", 1, f.now);
  TaskId a = f.submit(failing_once("step"), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report_error("n1", a, 1);
  Submitted b = f.scheduler.submit(depending("step", {a}), f.client(8));
  CHECK(b.state == TaskState::Cancelled);
  CHECK(f.record(b.id).error["data"] == dependency_error_data(b.id, a, "FAILED"));
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["id"] == 8);
  CHECK(replies[0]["error"]["code"] == rpc::kCancelled);
  NewTask anyway = depending("step", {a});
  anyway.on_dependency_failure = DependencyFailure::Run;
  CHECK(f.scheduler.submit(std::move(anyway), std::nullopt).state == TaskState::Queued);
}

TEST_CASE("a dependency that fails an attempt and is retried keeps its dependents waiting" * doctest::timeout(10)) {
  Fixture f;
  TaskId a = f.submit(task("flaky"), std::nullopt);  // retries left: the broker's default
  TaskId b = f.submit(depending("step", {a}), std::nullopt);
  f.hello("n1", "node-1", "flaky", 1, f.now);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report_error("n1", a, 1);
  CHECK(f.record(a).state == TaskState::Pending);  // its backoff
  CHECK(f.record(b).state == TaskState::Pending);
  CHECK(to_json(f.record(b))["waiting_for"] == 1);
  f.scheduler.touch("n1", std::chrono::steady_clock::now() + 250ms);
  f.scheduler.tick(std::chrono::steady_clock::now() + 250ms);
  f.scheduler.dispatch();
  json run = f.runs_for("n1");
  REQUIRE(run.size() == 1);
  f.report("n1", a, run[0]["attempt"].get<int>(), "second time");
  CHECK(f.record(b).state == TaskState::Queued);
}

TEST_CASE(
    "a dependency that succeeded and was forgotten while its dependent waits for another still counts as SUCCEEDED" *
    doctest::timeout(10)) {
  // The dependent waits for `slow` after `quick` succeeded; `quick` is forgotten
  // meanwhile (its own result_ttl_ms here; --keep-finished-ms does the same to any
  // dependency that ends long before the others).
  Fixture f;
  NewTask brief = task("step");
  brief.result_ttl_ms = 0;
  TaskId quick = f.submit(std::move(brief), std::nullopt);
  TaskId slow = f.submit(task("step"), std::nullopt);
  NewTask joined = depending("join", {quick, slow});
  joined.pass_results = PassResults::List;
  TaskId join = f.submit(std::move(joined), std::nullopt);
  f.hello("n1", "node-1", "step", 2, f.now);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", quick, 1, "quick");
  f.scheduler.touch("n1", std::chrono::steady_clock::now() + 10ms);
  f.scheduler.tick(std::chrono::steady_clock::now() + 10ms);
  CHECK(f.record(join).state == TaskState::Pending);
  f.report("n1", slow, 1, "slow");
  INFO("error: " << f.record(join).error.dump());
  CHECK(f.record(join).state == TaskState::Queued);
  CHECK(f.record(join).error.is_null());
  CHECK(json::parse(f.record(join).params_json) == json::array({json::array({"quick", "slow"})}));
}

TEST_CASE("a dependency the broker does not hold is refused with invalid params and nothing is made" *
          doctest::timeout(10)) {
  Fixture f;
  CHECK_THROWS_WITH(f.scheduler.submit(depending("step", {0x1234}), std::nullopt),
                    "depends_on: no task 0000000000001234 (unknown, or forgotten)");
  CHECK(f.store.size() == 0);
}

TEST_CASE("cancelling a PENDING dependent leaves its dependency alone" * doctest::timeout(10)) {
  Fixture f;
  TaskId a = f.submit(task("step"), std::nullopt);
  TaskId b = f.submit(depending("step", {a}), std::nullopt);
  f.scheduler.cancel(b, f.now);
  CHECK(f.record(b).state == TaskState::Cancelled);
  CHECK(f.record(a).state == TaskState::Queued);
  f.hello("n1", "node-1", "step", 2, f.now);
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("n1"))) == text({a}));
  f.report("n1", a, 1, nullptr);
  CHECK(f.record(b).state == TaskState::Cancelled);
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());
}

TEST_CASE("task.submit_many makes entries that depend on later ones by index after them" * doctest::timeout(10)) {
  Fixture f;
  Requests requests(f);
  json reply = requests.call(
      "task.submit_many",
      json{{"tasks", json::array({json{{"function", "join"}, {"depends_on", {1, 2}}, {"pass_results", "prepend"}},
                                  json{{"function", "step"}, {"params", {1}}},
                                  json{{"function", "step"}, {"params", {2}}, {"depends_on", {1}}}})}});
  REQUIRE(reply.contains("result"));
  json ids = reply["result"]["ids"];
  REQUIRE(ids.size() == 3);
  TaskId join = *parse_task_id(ids[0].get<std::string>());
  TaskId first = *parse_task_id(ids[1].get<std::string>());
  TaskId second = *parse_task_id(ids[2].get<std::string>());
  CHECK(first < second);
  CHECK(second < join);  // made after its dependencies
  CHECK(text(f.record(join).depends_on) == text({first, second}));
  CHECK(text(f.record(second).depends_on) == text({first}));
  f.hello("n1", "node-1", "step", 1, f.now);
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("n1"))) == text({first}));
  f.report("n1", first, 1, "one");
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("n1"))) == text({second}));
  f.report("n1", second, 1, "two");
  CHECK(json::parse(f.record(join).params_json) == json::array({"one", "two"}));
}

TEST_CASE("task.submit_many refuses a cycle and makes none of the batch" * doctest::timeout(10)) {
  Fixture f;
  Requests requests(f);
  json reply = requests.call(
      "task.submit_many",
      json{{"tasks", json::array({json{{"function", "free"}}, json{{"function", "a"}, {"depends_on", {2}}},
                                  json{{"function", "b"}, {"depends_on", {3}}},
                                  json{{"function", "c"}, {"depends_on", {1}}}})}});
  REQUIRE(reply.contains("error"));
  CHECK(reply["error"]["code"] == rpc::kInvalidParams);
  CHECK(reply["error"]["message"] == "depends_on forms a cycle: tasks[1] could never start");
  CHECK(f.store.size() == 0);
}

TEST_CASE("task.submit_many passes results in depends_on order when it mixes task ids and batch indexes" *
          doctest::timeout(10)) {
  // depends_on: [1, "<id of an existing task>"]: the batch entry's result comes first.
  Fixture f;
  f.hello("n1", "node-1", "step", 2, f.now);
  TaskId existing = f.submit(task("step"), std::nullopt);
  Requests requests(f);
  json reply =
      requests.call("task.submit_many", json{{"tasks", json::array({json{{"function", "join"},
                                                                         {"depends_on", {1, format_task_id(existing)}},
                                                                         {"pass_results", "list"}},
                                                                    json{{"function", "step"}}})}});
  REQUIRE(reply.contains("result"));
  TaskId join = *parse_task_id(reply["result"]["ids"][0].get<std::string>());
  TaskId in_batch = *parse_task_id(reply["result"]["ids"][1].get<std::string>());
  CHECK(text(f.record(join).depends_on) == text({in_batch, existing}));
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", existing, 1, "existing");
  f.report("n1", in_batch, 1, "batch");
  CHECK(json::parse(f.record(join).params_json) == json::array({json::array({"batch", "existing"})}));
}

// ---------------------------------------------------------------- countdown and eta

TEST_CASE("a task with a countdown stays PENDING until it is due, then is queued" * doctest::timeout(10)) {
  Fixture f;
  NewTask later = task("step");
  later.run_at = unix_time_ms() + 60000;
  Submitted submitted = f.scheduler.submit(std::move(later), std::nullopt);
  CHECK(submitted.state == TaskState::Pending);
  CHECK(to_json(f.record(submitted.id))["run_at"].get<std::int64_t>() >= unix_time_ms() + 50000);
  f.hello("n1", "node-1", "step", 1, f.now);
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());
  f.scheduler.touch("n1", std::chrono::steady_clock::now() + 30s);
  f.scheduler.tick(std::chrono::steady_clock::now() + 30s);
  CHECK(f.record(submitted.id).state == TaskState::Pending);
  f.scheduler.touch("n1", std::chrono::steady_clock::now() + 61s);
  f.scheduler.tick(std::chrono::steady_clock::now() + 61s);
  CHECK(f.record(submitted.id).state == TaskState::Queued);
  CHECK_FALSE(to_json(f.record(submitted.id)).contains("run_at"));
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("n1"))) == text({submitted.id}));
}

TEST_CASE("an eta in the past queues the task at once" * doctest::timeout(10)) {
  Fixture f;
  NewTask late = task("step");
  late.run_at = unix_time_ms() - 5000;
  Submitted submitted = f.scheduler.submit(std::move(late), std::nullopt);
  CHECK(submitted.state == TaskState::Queued);
}

TEST_CASE("a countdown task cancelled while PENDING is not queued when its time comes" * doctest::timeout(10)) {
  Fixture f;
  NewTask later = task("step");
  later.run_at = unix_time_ms() + 1000;
  TaskId id = f.submit(std::move(later), std::nullopt);
  f.scheduler.cancel(id, f.now);
  f.scheduler.tick(std::chrono::steady_clock::now() + 2s);
  CHECK((f.scheduler.find(id) == nullptr || f.record(id).state == TaskState::Cancelled));
  CHECK(f.scheduler.stats(f.now)["tasks"]["QUEUED"] == 0);
}

TEST_CASE("a task whose dependencies ended still waits for its countdown" * doctest::timeout(10)) {
  Fixture f;
  TaskId a = f.submit(task("step"), std::nullopt);
  NewTask later = depending("step", {a});
  later.run_at = unix_time_ms() + 60000;
  TaskId b = f.submit(std::move(later), std::nullopt);
  f.hello("n1", "node-1", "step", 1, f.now);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", a, 1, nullptr);
  CHECK(f.record(b).state == TaskState::Pending);
  CHECK(to_json(f.record(b)).contains("run_at"));
  f.scheduler.tick(std::chrono::steady_clock::now() + 61s);
  CHECK(f.record(b).state == TaskState::Queued);
}

// ---------------------------------------------------------------- queues and priorities

TEST_CASE("a node gets only tasks of the queues it named in hello" * doctest::timeout(10)) {
  Fixture f;
  TaskId on_gpu = f.submit(in_queue("work", "gpu"), std::nullopt);
  TaskId on_default = f.submit(task("work"), std::nullopt);
  TaskId on_cpu = f.submit(in_queue("work", "cpu"), std::nullopt);
  f.hello_queues("g", "gpu-node", "work", 5, {"gpu"}, f.now);
  f.hello("d", "default-node", "work", 5, f.now);
  f.scheduler.dispatch();
  auto runs = runs_by_node(f);
  CHECK(text(runs["g"]) == text({on_gpu}));
  CHECK(text(runs["d"]) == text({on_default}));
  CHECK(f.record(on_cpu).state == TaskState::Queued);
  CHECK(f.scheduler.is_served("gpu", "work"));
  CHECK_FALSE(f.scheduler.is_served("cpu", "work"));
  f.hello_queues("c", "cpu-node", "work", 5, {"cpu", "gpu"}, f.now);
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("c"))) == text({on_cpu}));
}

TEST_CASE("broker.nodes lists the queues each node serves" * doctest::timeout(10)) {
  Fixture f;
  f.hello_queues("c", "cpu-node", "work", 5, {"cpu", "gpu"}, f.now);
  f.hello("d", "default-node", "work", 5, f.now);
  json nodes = f.scheduler.nodes(f.now);
  REQUIRE(nodes["nodes"].size() == 2);
  CHECK(nodes["nodes"][0]["name"] == "cpu-node");
  CHECK(nodes["nodes"][0]["queues"] == json{"cpu", "gpu"});
  CHECK(nodes["nodes"][1]["queues"] == json{"default"});
}

TEST_CASE("within a queue the higher priority goes first, then the oldest" * doctest::timeout(10)) {
  Fixture f;
  TaskId low_old = f.submit(in_queue("work", "default", 0), std::nullopt);
  TaskId mid_old = f.submit(in_queue("work", "default", 5), std::nullopt);
  TaskId top = f.submit(in_queue("work", "default", 9), std::nullopt);
  TaskId mid_new = f.submit(in_queue("work", "default", 5), std::nullopt);
  TaskId low_new = f.submit(in_queue("work", "default", 0), std::nullopt);
  f.hello("n1", "node-1", "work", 1, f.now);
  std::vector<TaskId> order;
  for (int i = 0; i < 5; ++i) {
    f.scheduler.dispatch();
    json run = f.runs_for("n1");
    REQUIRE(run.size() == 1);
    order.push_back(id_of(run[0]));
    f.report("n1", order.back(), 1, nullptr);
  }
  CHECK(text(order) == text({top, mid_old, mid_new, low_old, low_new}));
}

TEST_CASE("a node serving several queues gets every queue's higher priorities first" * doctest::timeout(10)) {
  Fixture f;
  TaskId a_low = f.submit(in_queue("work", "a", 1), std::nullopt);
  TaskId b_high = f.submit(in_queue("work", "b", 7), std::nullopt);
  TaskId b_none = f.submit(in_queue("work", "b", 0), std::nullopt);
  f.hello_queues("n1", "node-1", "work", 2, {"a", "b"}, f.now);
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("n1"))) == text({b_high, a_low}));
  CHECK(f.record(b_none).state == TaskState::Queued);
  json object = to_json(f.record(b_high));
  CHECK(object["queue"] == "b");
  CHECK(object["priority"] == 7);
}

TEST_CASE("a task whose lease is lost goes back ahead of newer work of its priority only" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "work", 1, f.now);
  TaskId first = f.submit(in_queue("work", "default", 3), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  TaskId newer = f.submit(in_queue("work", "default", 3), std::nullopt);
  TaskId urgent = f.submit(in_queue("work", "default", 8), std::nullopt);
  f.scheduler.drop_node("n1", "bye");
  f.hello("n2", "node-2", "work", 1, f.now);
  std::vector<TaskId> order;
  for (int i = 0; i < 3; ++i) {
    f.scheduler.dispatch();
    json run = f.runs_for("n2");
    REQUIRE(run.size() == 1);
    order.push_back(id_of(run[0]));
    f.report("n2", order.back(), run[0]["attempt"].get<int>(), nullptr);
  }
  CHECK(text(order) == text({urgent, first, newer}));
}

// ---------------------------------------------------------------- unique

TEST_CASE("a unique task submitted again while it is live answers for the first one" * doctest::timeout(10)) {
  Fixture f;
  NewTask unique = task("report", json::array({"2026-11"}));
  unique.unique = true;
  Submitted first = f.scheduler.submit(unique, std::nullopt);
  CHECK_FALSE(first.duplicate);
  Submitted again = f.scheduler.submit(unique, f.client(5));
  CHECK(again.duplicate);
  CHECK(again.id == first.id);
  CHECK(again.state == TaskState::Queued);
  CHECK(to_json(f.record(first.id))["unique"] == true);

  // Not a twin: other params, another queue, or a submit without unique.
  NewTask other_params = unique;
  other_params.params_json = R"(["2026-12"])";
  CHECK_FALSE(f.scheduler.submit(other_params, std::nullopt).duplicate);
  NewTask other_queue = unique;
  other_queue.queue = "reports";
  CHECK_FALSE(f.scheduler.submit(other_queue, std::nullopt).duplicate);
  NewTask plain = unique;
  plain.unique = false;
  CHECK(f.scheduler.submit(plain, std::nullopt).id != first.id);

  f.hello("n1", "node-1", "report", 1, f.now);
  f.scheduler.dispatch();
  REQUIRE(text(ids_of(f.runs_for("n1"))) == text({first.id}));
  Submitted running = f.scheduler.submit(unique, f.client(6));
  CHECK(running.duplicate);
  CHECK(running.id == first.id);
  CHECK(running.state == TaskState::Running);
  f.report("n1", first.id, 1, "done");
  json replies = f.take_replies();
  REQUIRE(replies.size() == 2);
  for (const auto& reply : replies) CHECK(reply["result"] == "done");
}

TEST_CASE("a unique task PENDING on its countdown is a live twin" * doctest::timeout(10)) {
  Fixture f;
  NewTask unique = task("report");
  unique.unique = true;
  unique.run_at = unix_time_ms() + 60000;
  Submitted first = f.scheduler.submit(unique, std::nullopt);
  Submitted again = f.scheduler.submit(unique, std::nullopt);
  CHECK(again.duplicate);
  CHECK(again.id == first.id);
  CHECK(again.state == TaskState::Pending);
}

TEST_CASE("once the unique task ended, the same submit makes a new task" * doctest::timeout(10)) {
  Fixture f;
  NewTask unique = task("report", json::array({1}));
  unique.unique = true;
  TaskId first = f.submit(unique, std::nullopt);
  f.hello("n1", "node-1", "report", 1, f.now);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", first, 1, "ok");
  Submitted second = f.scheduler.submit(unique, std::nullopt);
  CHECK_FALSE(second.duplicate);
  CHECK(second.id != first);
  f.scheduler.cancel(second.id, f.now);
  Submitted third = f.scheduler.submit(unique, std::nullopt);
  CHECK_FALSE(third.duplicate);
  CHECK(third.id != second.id);
}

// ---------------------------------------------------------------- result_ttl_ms

TEST_CASE("result_ttl_ms forgets exactly that task once its own time has passed" * doctest::timeout(10)) {
  Fixture f;  // keep_finished: 1 s
  NewTask short_lived = task("step");
  short_lived.result_ttl_ms = 100;
  TaskId brief = f.submit(short_lived, std::nullopt);
  TaskId kept = f.submit(task("step"), std::nullopt);
  NewTask failing = failing_once("step");
  failing.result_ttl_ms = 100;
  TaskId failed = f.submit(std::move(failing), std::nullopt);
  CHECK(to_json(f.record(brief))["result_ttl_ms"] == 100);
  f.hello("n1", "node-1", "step", 3, f.now);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", brief, 1, "x");
  f.report("n1", kept, 1, "y");
  f.report_error("n1", failed, 1);
  REQUIRE(f.record(failed).state == TaskState::Failed);
  f.scheduler.touch("n1", std::chrono::steady_clock::now() + 50ms);
  f.scheduler.tick(std::chrono::steady_clock::now() + 50ms);
  CHECK(f.scheduler.find(brief) != nullptr);
  f.scheduler.touch("n1", std::chrono::steady_clock::now() + 300ms);
  f.scheduler.tick(std::chrono::steady_clock::now() + 300ms);
  CHECK(f.scheduler.find(brief) == nullptr);
  CHECK(f.scheduler.find(failed) == nullptr);  // a FAILED task too, long before keep_failed
  CHECK(f.scheduler.find(kept) != nullptr);
  CHECK(f.scheduler.stats(f.now)["tasks"]["SUCCEEDED"] == 1);
  CHECK(f.scheduler.stats(f.now)["tasks"]["FAILED"] == 0);
}

TEST_CASE("result_ttl_ms 0 forgets the task at the next tick" * doctest::timeout(10)) {
  Fixture f;
  NewTask gone = task("step");
  gone.result_ttl_ms = 0;
  TaskId id = f.submit(std::move(gone), std::nullopt);
  f.scheduler.cancel(id, f.now);
  f.scheduler.tick(std::chrono::steady_clock::now());
  CHECK(f.scheduler.find(id) == nullptr);
}

TEST_CASE("under steady load with a short result TTL the store's size stays bounded" * doctest::timeout(30)) {
  Fixture f;
  constexpr int kRounds = 200;
  constexpr int kPerRound = 25;
  f.hello("n1", "node-1", "step", kPerRound, f.now);
  std::size_t largest = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<TaskId> made;
    for (int i = 0; i < kPerRound; ++i) {
      NewTask brief = task("step", json::array({round, i}));
      brief.result_ttl_ms = 5;
      made.push_back(f.submit(std::move(brief), std::nullopt));
    }
    f.scheduler.dispatch();
    REQUIRE(f.runs_for("n1").size() == kPerRound);
    for (TaskId id : made) f.report("n1", id, 1, round);
    largest = std::max(largest, f.store.size());
    auto later = std::chrono::steady_clock::now() + 10ms;
    f.scheduler.touch("n1", later);
    f.scheduler.tick(later);
  }
  CHECK(largest <= static_cast<std::size_t>(kPerRound));
  CHECK(f.store.size() == 0);
  CHECK(f.scheduler.stats(f.now)["tasks"]["SUCCEEDED"] == 0);
  CHECK(f.scheduler.stats(f.now)["submitted"] == kRounds * kPerRound);
}

// ---------------------------------------------------------------- cancelling a running task

TEST_CASE("cancelling a RUNNING task sends node.cancel with its id and attempt, once" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "slow", 1, f.now);
  TaskId id = f.submit(task("slow"), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.outbox.subscribe("task.");
  json answer = f.scheduler.cancel(id, f.now);
  CHECK(answer["state"] == "RUNNING");
  CHECK(answer["cancel_requested"] == true);
  CHECK(f.record(id).cancel_requested);
  auto messages = f.outbox.take_messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].to.routing_id() == "n1");
  CHECK(json::parse(messages[0].body) ==
        json{{"jsonrpc", "2.0"},
             {"method", "node.cancel"},
             {"params", {{"tasks", json::array({json{{"id", format_task_id(id)}, {"attempt", 1}}})}}}});
  CHECK_FALSE(f.outbox.take_events().empty());
  json again = f.scheduler.cancel(id, f.now);
  CHECK(again["cancel_requested"] == true);
  CHECK(node_cancels(f).empty());
}

TEST_CASE("a cancelled RUNNING task ends CANCELLED whatever its node reports" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "slow", 3, f.now);
  TaskId with_result = f.submit(task("slow"), f.client(1));
  TaskId with_error = f.submit(task("slow"), std::nullopt);  // has retries left: still not retried
  TaskId with_cancelled = f.submit(task("slow"), std::nullopt);
  f.scheduler.dispatch();
  REQUIRE(f.runs_for("n1").size() == 3);
  for (TaskId id : {with_result, with_error, with_cancelled}) f.scheduler.cancel(id, f.now);
  CHECK(node_cancels(f).size() == 3);
  f.report("n1", with_result, 1, "finished anyway");
  f.report_error("n1", with_error, 1, -32000, "boom");
  f.report_error("n1", with_cancelled, 1, rpc::kCancelled, "task cancelled");
  for (TaskId id : {with_result, with_error, with_cancelled}) {
    const TaskRecord& record = f.record(id);
    CHECK(record.state == TaskState::Cancelled);
    CHECK(record.retries == 0);
    CHECK(record.result.is_null());
    CHECK(record.error == json{{"code", rpc::kCancelled},
                               {"message", "task " + format_task_id(id) + " was cancelled"},
                               {"data", {{"task", format_task_id(id)}}}});
    CHECK_FALSE(to_json(record).contains("cancel_requested"));
  }
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["id"] == 1);
  CHECK(replies[0]["error"]["code"] == rpc::kCancelled);
  CHECK(running_on(f, "node-1") == 0);
  CHECK(f.scheduler.stats(f.now)["stale_results"] == 0);
}

TEST_CASE(
    "a cancelled RUNNING task is CANCELLED after the grace period, and its node's slot is free only once it reports" *
    doctest::timeout(10)) {
  SchedulerConfig config = test_config();
  config.cancel_grace = 200ms;
  Fixture f(config);
  f.hello("n1", "node-1", "slow", 1, f.now);
  TaskId stuck = f.submit(task("slow"), f.client(3));
  f.scheduler.dispatch();
  f.runs_for("n1");
  TaskId next = f.submit(task("slow"), std::nullopt);
  f.scheduler.cancel(stuck, f.now);
  f.scheduler.touch("n1", f.now + 150ms);
  f.scheduler.tick(f.now + 150ms);
  CHECK(f.record(stuck).state == TaskState::Running);
  f.scheduler.touch("n1", f.now + 250ms);
  f.scheduler.tick(f.now + 250ms);
  CHECK(f.record(stuck).state == TaskState::Cancelled);
  json replies = f.take_replies();
  REQUIRE(replies.size() == 2);  // node.cancel, then the caller's answer
  CHECK(replies[1]["id"] == 3);
  CHECK(replies[1]["error"]["code"] == rpc::kCancelled);
  // The node still runs it: its only slot stays taken.
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());
  CHECK(running_on(f, "node-1") == 1);
  // Its late result frees the slot, is no stale result and changes nothing.
  f.report("n1", stuck, 1, "late");
  CHECK(f.record(stuck).state == TaskState::Cancelled);
  CHECK(f.record(stuck).result.is_null());
  CHECK(f.scheduler.stats(f.now)["stale_results"] == 0);
  CHECK(running_on(f, "node-1") == 0);
  CHECK(running_of(f, "slow") == 0);
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("n1"))) == text({next}));
  CHECK(running_of(f, "slow") == 1);
  f.report("n1", next, 1, nullptr);
  CHECK(running_on(f, "node-1") == 0);
  CHECK(running_of(f, "slow") == 0);
}

SchedulerConfig grace_config() {
  SchedulerConfig config = test_config();
  config.cancel_grace = 200ms;
  return config;
}

// A task with a TTL of 0 that node-1 (one slot, routing id n1) still runs, cancelled
// and past its grace period (200 ms), with the ticks that would forget it done.
TaskId cancelled_past_grace(Fixture& f) {
  f.hello("n1", "node-1", "slow", 1, f.now);
  NewTask brief = task("slow");
  brief.result_ttl_ms = 0;
  TaskId stuck = f.submit(std::move(brief), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.scheduler.cancel(stuck, f.now);
  f.scheduler.touch("n1", f.now + 250ms);
  f.scheduler.tick(f.now + 250ms);
  f.scheduler.touch("n1", f.now + 260ms);
  f.scheduler.tick(f.now + 260ms);
  return stuck;
}

TEST_CASE("a task cancelled past its grace is kept past its TTL until its node's late result frees the slot" *
          doctest::timeout(10)) {
  Fixture f(grace_config());
  TaskId stuck = cancelled_past_grace(f);
  // Cancelled past its grace; its TTL of 0 is over, but its node still runs it.
  REQUIRE(f.scheduler.find(stuck) != nullptr);
  CHECK(f.scheduler.find(stuck)->state == TaskState::Cancelled);
  f.report("n1", stuck, 1, "late");
  CHECK(f.scheduler.find(stuck) == nullptr);
  CHECK(running_on(f, "node-1") == 0);
  CHECK(running_of(f, "slow") == 0);
  TaskId next = f.submit(task("slow"), std::nullopt);
  f.scheduler.dispatch();
  CHECK(text(ids_of(f.runs_for("n1"))) == text({next}));
}

TEST_CASE("a task cancelled past its grace is kept past its TTL until its node leaves, with no running count behind" *
          doctest::timeout(10)) {
  Fixture f(grace_config());
  TaskId stuck = cancelled_past_grace(f);
  REQUIRE(f.scheduler.find(stuck) != nullptr);
  f.scheduler.drop_node("n1", "bye");
  CHECK(f.scheduler.find(stuck) == nullptr);
  CHECK(running_of(f, "slow") == 0);
  CHECK(f.scheduler.functions()["functions"].empty());
}

TEST_CASE("a cancel-requested task whose lease is lost ends CANCELLED, not retried" * doctest::timeout(10)) {
  for (std::string reason : {"timeout", "bye"}) {
    CAPTURE(reason);
    Fixture f;
    f.hello("n1", "node-1", "slow", 1, f.now);
    TaskId id = f.submit(task("slow"), f.client(4));
    f.scheduler.dispatch();
    f.runs_for("n1");
    f.scheduler.cancel(id, f.now);
    if (reason == "timeout") {
      f.scheduler.tick(f.now + 500ms);  // three silent heartbeats: the node is dropped
    } else {
      f.scheduler.drop_node("n1", reason);
    }
    const TaskRecord& record = f.record(id);
    CHECK(record.state == TaskState::Cancelled);
    CHECK(record.retries == 0);
    CHECK(record.error["code"] == rpc::kCancelled);
    CHECK(f.scheduler.stats(f.now)["tasks"]["QUEUED"] == 0);
    f.hello("n2", "node-2", "slow", 1, f.now + 500ms);
    f.scheduler.dispatch();
    CHECK(f.runs_for("n2").empty());
    json replies = f.take_replies();
    REQUIRE(replies.size() == 2);  // node.cancel, then the caller's answer
    CHECK(replies[1]["error"]["code"] == rpc::kCancelled);
  }
}

TEST_CASE("a node that rejoins with a cancel-requested task is told to cancel it again" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "slow", 1, f.now);
  TaskId id = f.submit(task("slow"), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.scheduler.cancel(id, f.now);
  CHECK(node_cancels(f).size() == 1);
  f.hello("n1-again", "node-1", "slow", 1, f.now, {LeaseToken{id, 1}});
  json cancels = node_cancels(f);
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0]["params"]["tasks"][0]["id"] == format_task_id(id));
  f.report_error("n1-again", id, 1, rpc::kCancelled, "task cancelled");
  CHECK(f.record(id).state == TaskState::Cancelled);
}

// ---------------------------------------------------------------- partial results

TEST_CASE("partial results are appended in order and published with their index" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "stream", 1, f.now);
  TaskId id = f.submit(task("stream"), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.outbox.subscribe("task.");
  f.outbox.take_events();
  f.scheduler.progress("n1", id, 1, std::nullopt, json{{"row", 1}});
  f.scheduler.progress("n1", id, 1, json{{"done", 1}, {"total", 3}}, std::nullopt);
  f.scheduler.progress("n1", id, 1, std::nullopt, json::array({2, "two"}));
  f.scheduler.progress("n1", id, 1, std::nullopt, "three");
  const TaskRecord& record = f.record(id);
  CHECK(record.partials == json::array({json{{"row", 1}}, json::array({2, "two"}), "three"}));
  CHECK(record.progress == json{{"done", 1}, {"total", 3}});
  CHECK(to_json(record)["partials"].size() == 3);
  CHECK_FALSE(to_json(record).contains("partials_truncated"));
  auto events = f.outbox.take_events();
  REQUIRE(events.size() == 4);
  std::string text = format_task_id(id);
  CHECK(events[0].topic == "task." + text);
  CHECK(json::parse(events[0].body) ==
        json{{"id", text}, {"state", "RUNNING"}, {"attempt", 1}, {"partial", {{"row", 1}}}, {"index", 0}});
  CHECK(json::parse(events[1].body)["progress"] == json{{"done", 1}, {"total", 3}});
  CHECK_FALSE(json::parse(events[1].body).contains("index"));
  CHECK(json::parse(events[2].body)["index"] == 1);
  CHECK(json::parse(events[3].body)["index"] == 2);
  CHECK(json::parse(events[3].body)["partial"] == "three");
  // The task's result does not replace them.
  f.report("n1", id, 1, "all");
  CHECK(to_json(f.record(id))["partials"].size() == 3);
}

TEST_CASE("partial results past the payload limit are dropped and the task says partials_truncated" *
          doctest::timeout(10)) {
  SchedulerConfig config = test_config();
  config.max_payload_bytes = 64;
  Fixture f(config);
  f.hello("n1", "node-1", "stream", 1, f.now);
  TaskId id = f.submit(task("stream"), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.outbox.subscribe("task.");
  f.outbox.take_events();
  const std::string chunk(20, 'x');  // 22 bytes as JSON
  f.scheduler.progress("n1", id, 1, std::nullopt, chunk);
  f.scheduler.progress("n1", id, 1, std::nullopt, chunk);
  f.scheduler.progress("n1", id, 1, std::nullopt, chunk);  // past 64 bytes in total: dropped
  f.scheduler.progress("n1", id, 1, std::nullopt, 1);      // small, but after a dropped one: dropped too
  const TaskRecord& record = f.record(id);
  CHECK(record.partials == json::array({chunk, chunk}));
  CHECK(record.partials_truncated);
  json object = to_json(record);
  CHECK(object["partials_truncated"] == true);
  CHECK(object["partials"].size() == 2);
  auto events = f.outbox.take_events();
  REQUIRE(events.size() == 2);
  CHECK(json::parse(events[1].body)["index"] == 1);
  CHECK(f.scheduler.stats(f.now)["stale_results"] == 0);
}

TEST_CASE("a retried attempt starts with no partial results" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "stream", 1, f.now);
  TaskId id = f.submit(task("stream"), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.scheduler.progress("n1", id, 1, std::nullopt, "first try");
  f.report_error("n1", id, 1);
  CHECK(f.record(id).state == TaskState::Pending);
  CHECK(f.record(id).partials.is_null());
  CHECK_FALSE(to_json(f.record(id)).contains("partials"));
}

TEST_CASE("a partial result from a node that does not hold the lease is refused" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "stream", 1, f.now);
  f.hello("n2", "node-2", "stream", 0, f.now);
  TaskId id = f.submit(task("stream"), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.scheduler.progress("n2", id, 1, std::nullopt, "intruder");
  f.scheduler.progress("n1", id, 2, std::nullopt, "wrong attempt");
  CHECK(f.record(id).partials.is_null());
  CHECK(f.scheduler.stats(f.now)["stale_results"] == 2);
}

TEST_CASE("a dependent whose failed dependency is forgotten while it waits for another is cancelled naming it" *
          doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "work", 1, f.now);
  NewTask brief = task("never-served");
  brief.result_ttl_ms = 0;
  TaskId cancelled = f.submit(std::move(brief), std::nullopt);
  TaskId slow = f.submit(task("work"), std::nullopt);
  NewTask dependent = task("work");
  dependent.depends_on = {cancelled, slow};
  TaskId waiting = f.submit(std::move(dependent), std::nullopt);
  f.scheduler.cancel(cancelled, f.now);
  f.scheduler.tick(std::chrono::steady_clock::now() + 10ms);  // its TTL of 0 is over; the dependent pins it
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", slow, 1, 1);
  const TaskRecord* record = f.scheduler.find(waiting);
  REQUIRE(record != nullptr);
  CHECK(record->state == TaskState::Cancelled);
  CHECK(record->error["data"]["dependency"] == format_task_id(cancelled));
  CHECK(record->error["data"]["dependency_state"] == "CANCELLED");
  CHECK(f.scheduler.find(cancelled) == nullptr);  // let go once nothing needs it
}

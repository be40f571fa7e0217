#include <doctest/doctest.h>

#include "scheduler_fixture.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using namespace zerotask::broker::testing;
using namespace std::chrono_literals;

TEST_CASE("a direct call is handed to a node and answered with the node's result" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "add", 2, f.now);
  f.submit(task("add", json::array({5, 6})), f.client(7));
  f.scheduler.dispatch();
  json tasks = f.runs_for("n1");
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0]["function"] == "add");
  CHECK(tasks[0]["params"] == json::array({5, 6}));
  CHECK(tasks[0]["attempt"] == 1);
  f.scheduler.done("n1", json::array({json{{"id", tasks[0]["id"]}, {"attempt", 1}, {"result", 11}}}));
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0] == json{{"jsonrpc", "2.0"}, {"id", 7}, {"result", 11}});
  auto record = f.scheduler.find(*parse_task_id(tasks[0]["id"].get<std::string>()));
  CHECK(record->state == TaskState::Succeeded);
  CHECK(record->node == "node-1");
}

TEST_CASE("a node is never sent more tasks than its free slots" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 2, f.now);
  for (int i = 0; i < 5; ++i) f.submit(task("noop", json::array()), std::nullopt);
  f.scheduler.dispatch();
  json first = f.runs_for("n1");
  CHECK(first.size() == 2);
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());
  f.scheduler.done("n1", json::array({json{{"id", first[0]["id"]}, {"attempt", 1}, {"result", nullptr}}}));
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").size() == 1);
  CHECK(f.scheduler.stats(f.now)["tasks"]["QUEUED"] == 2);
}

TEST_CASE("tasks are spread over every node serving the function" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 2, f.now);
  f.hello("n2", "node-2", "noop", 2, f.now);
  for (int i = 0; i < 4; ++i) f.submit(task("noop", json::array()), std::nullopt);
  f.scheduler.dispatch();
  auto messages = f.outbox.take_hand_outs();
  REQUIRE(messages.size() == 2);
  for (auto& message : messages) CHECK(json::parse(message.body)["params"]["tasks"].size() == 2);
}

TEST_CASE("a failing task answers the caller with task_failed and the task id" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "fail", 1, f.now);
  NewTask failing = task("fail", json::array({"boom"}));
  failing.max_retries = 0;
  f.submit(std::move(failing), f.client(1));
  f.scheduler.dispatch();
  json tasks = f.runs_for("n1");
  f.scheduler.done(
      "n1", json::array({json{
                {"id", tasks[0]["id"]},
                {"attempt", 1},
                {"error", {{"code", -32000}, {"message", "boom"}, {"data", {{"type", "std::runtime_error"}}}}}}}));
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["error"]["code"] == -32000);
  CHECK(replies[0]["error"]["message"] == "boom");
  CHECK(replies[0]["error"]["data"]["type"] == "std::runtime_error");
  CHECK(replies[0]["error"]["data"]["task"] == tasks[0]["id"]);
}

TEST_CASE("a node that stops heartbeating loses its tasks back to the queue" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId id = f.submit(task("noop", json::array()), std::nullopt);
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").size() == 1);
  CHECK(f.scheduler.find(id)->state == TaskState::Running);
  f.scheduler.tick(f.now + 500ms);
  CHECK(f.scheduler.find(id)->state == TaskState::Queued);
  CHECK(f.scheduler.stats(f.now)["nodes"] == 0);
  f.hello("n2", "node-2", "noop", 1, f.now + 500ms);
  f.scheduler.dispatch();
  json tasks = f.runs_for("n2");
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0]["attempt"] == 2);
}

TEST_CASE("a late result from a node that lost the task is ignored" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId id = f.submit(task("noop", json::array()), std::nullopt);
  f.scheduler.dispatch();
  json first = f.runs_for("n1");
  f.hello("n2", "node-1", "noop", 1, f.now);  // same name, new connection: replaces n1
  f.scheduler.dispatch();
  json second = f.runs_for("n2");
  REQUIRE(second.size() == 1);
  f.scheduler.done("n1", json::array({json{{"id", first[0]["id"]}, {"attempt", 1}, {"result", "stale"}}}));
  CHECK(f.scheduler.find(id)->state == TaskState::Running);
  f.scheduler.done("n2", json::array({json{{"id", second[0]["id"]}, {"attempt", 2}, {"result", "fresh"}}}));
  CHECK(f.scheduler.find(id)->result == "fresh");
}

TEST_CASE("cancel stops a queued task at once and asks the node of a running one to stop, saying so in its event" * doctest::timeout(10)) {
  Fixture f;
  TaskId queued = f.submit(task("noop", json::array()), f.client(3));
  json cancelled = f.scheduler.cancel(queued, f.now);
  CHECK(cancelled["state"] == "CANCELLED");
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["error"]["code"] == -32002);
  f.hello("n1", "node-1", "noop", 1, f.now);
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());

  TaskId running = f.submit(task("noop", json::array()), std::nullopt);
  f.scheduler.dispatch();
  f.outbox.subscribe("task.");
  json asked = f.scheduler.cancel(running, f.now);
  CHECK(asked["state"] == "RUNNING");
  CHECK(asked["cancel_requested"] == true);
  auto events = f.outbox.take_events();
  REQUIRE(events.size() == 1);
  CHECK(json::parse(events[0].body)["cancel_requested"] == true);
  json sent = f.take_replies();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["method"] == "node.cancel");
  CHECK(sent[0]["params"]["tasks"][0] == json{{"id", format_task_id(running)}, {"attempt", 1}});
  f.scheduler.done("n1", json::array({json{{"id", format_task_id(running)}, {"attempt", 1}, {"result", 1}}}));
  CHECK(f.scheduler.find(running)->state == TaskState::Cancelled);
  CHECK_THROWS_WITH(f.scheduler.cancel(running, f.now), doctest::Contains("CANCELLED and cannot be cancelled"));
}

TEST_CASE("task.wait answers at the deadline with the task still queued" * doctest::timeout(10)) {
  Fixture f;
  TaskId id = f.submit(task("noop", json::array()), std::nullopt);
  f.scheduler.wait(id, 200ms, f.client(9), f.now);
  f.scheduler.tick(f.now + 100ms);
  CHECK(f.take_replies().empty());
  f.scheduler.tick(f.now + 250ms);
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["result"]["state"] == "QUEUED");
}

TEST_CASE("finished tasks are forgotten after the retention time" * doctest::timeout(10)) {
  Fixture f;
  TaskId id = f.submit(task("noop", json::array()), std::nullopt);
  f.scheduler.cancel(id, f.now);
  f.scheduler.tick(std::chrono::steady_clock::now() + 2s);
  CHECK(f.scheduler.find(id) == nullptr);
  CHECK(f.scheduler.stats(f.now)["tasks"]["CANCELLED"] == 0);
}

TEST_CASE("functions lists served functions and queued ones that nobody serves" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "add", 1, f.now);
  f.submit(task("resize", json::array()), std::nullopt);
  json functions = f.scheduler.functions()["functions"];
  REQUIRE(functions.size() == 2);
  CHECK(functions[0] == json{{"name", "add"}, {"nodes", 1}, {"queued", 0}, {"running", 0}});
  CHECK(functions[1] == json{{"name", "resize"}, {"nodes", 0}, {"queued", 1}, {"running", 0}});
}

TEST_CASE("events are built only for topics someone subscribed to" * doctest::timeout(10)) {
  Fixture f;
  TaskId quiet = f.submit(task("noop", json::array()), std::nullopt);
  CHECK(f.outbox.take_events().empty());
  f.outbox.subscribe("task.");
  TaskId watched = f.submit(task("noop", json::array()), std::nullopt);
  auto events = f.outbox.take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].topic == "task." + format_task_id(watched));
  CHECK(json::parse(events[0].body)["state"] == "QUEUED");
  CHECK(quiet != watched);
}

TEST_CASE("a result whose attempt does not fit an int is ignored, not truncated" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId id = f.submit(task("noop", json::array()), std::nullopt);
  f.scheduler.dispatch();
  json task = f.runs_for("n1")[0];
  f.scheduler.done("n1", json::array({json{{"id", task["id"]}, {"attempt", 4294967297LL}, {"result", "aliased"}}}));
  CHECK(f.scheduler.find(id)->state == TaskState::Running);
}

TEST_CASE("node.run is split into several messages to stay under the message limit" * doctest::timeout(10)) {
  MemoryTaskStore store;
  Outbox outbox;
  auto now = std::chrono::steady_clock::now();
  SchedulerConfig config = test_config();
  config.max_message_bytes = 4096;
  Scheduler scheduler(store, outbox, config, now);
  scheduler.hello("n1", "node-1", serving("echo"), 10, {}, now);
  for (int i = 0; i < 10; ++i) scheduler.submit(task("echo", json::array({std::string(1000, 'x')})), std::nullopt);
  scheduler.dispatch();
  auto messages = outbox.take_hand_outs();
  CHECK(messages.size() > 2);
  std::size_t tasks = 0;
  for (auto& message : messages) {
    CHECK(message.body.size() < 4096);
    tasks += json::parse(message.body)["params"]["tasks"].size();
  }
  CHECK(tasks == 10);
}

TEST_CASE("a requeued task loses the progress of its lost attempt" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "count", 1, f.now);
  TaskId id = f.submit(task("count", json::array({10})), std::nullopt);
  f.scheduler.dispatch();
  f.scheduler.progress("n1", id, 1, json{{"current", 3}, {"total", 10}}, std::nullopt);
  CHECK(f.scheduler.find(id)->progress["current"] == 3);
  f.scheduler.drop_node("n1", "bye");
  CHECK(f.scheduler.find(id)->state == TaskState::Queued);
  CHECK(f.scheduler.find(id)->progress.is_null());
}

TEST_CASE("the queue of a function nobody serves is forgotten once it is empty" * doctest::timeout(10)) {
  Fixture f;
  TaskId id = f.submit(task("typo", json::array()), std::nullopt);
  CHECK(f.scheduler.functions()["functions"].size() == 1);
  f.scheduler.cancel(id, f.now);
  CHECK(f.scheduler.functions()["functions"].empty());
}

TEST_CASE("stopping answers every waiting caller with an error" * doctest::timeout(10)) {
  Fixture f;
  TaskId waited = f.submit(task("noop", json::array()), f.client(1));
  f.scheduler.wait(waited, 10s, f.client(2), f.now);
  f.scheduler.shutdown();
  json replies = f.take_replies();
  REQUIRE(replies.size() == 2);
  for (auto& reply : replies) {
    CHECK(reply["error"]["code"] == rpc::kInternalError);
    CHECK(reply["error"]["message"] == "the broker is stopping");
    CHECK(reply["error"]["data"]["type"] == "zerotask::BrokerStopping");
  }
  CHECK(f.scheduler.next_deadline() <= f.now + 1s);
}

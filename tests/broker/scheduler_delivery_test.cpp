// Leases, retries with backoff, dead letters and task.retry (docs/PROTOCOL.md,
// "Delivery and retries").
#include <doctest/doctest.h>

#include "scheduler_fixture.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using namespace zerotask::broker::testing;
using namespace std::chrono_literals;

namespace {

json failure(const json& task, const std::string& message) {
  return json::array({json{{"id", task["id"]},
                           {"attempt", task["attempt"]},
                           {"error", {{"code", -32000}, {"message", message}}}}});
}

json success(const json& task, json result) {
  return json::array({json{{"id", task["id"]}, {"attempt", task["attempt"]}, {"result", std::move(result)}}});
}

// Runs `id` through its hand-out on n1 and returns the node.run entry.
json hand_out(Fixture& f) {
  f.scheduler.dispatch();
  json tasks = f.runs_for("n1");
  REQUIRE(tasks.size() == 1);
  return tasks[0];
}

}  // namespace

TEST_CASE("a failed attempt waits out a backoff as PENDING and runs again, showing that attempt's error until it ends" *
          doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "flaky", 1, f.now);
  NewTask flaky = task("flaky");
  flaky.max_retries = 2;
  TaskId id = f.submit(std::move(flaky), f.client(1));
  json first = hand_out(f);
  f.scheduler.done("n1", failure(first, "try again"));
  const TaskRecord* record = f.scheduler.find(id);
  CHECK(record->state == TaskState::Pending);
  CHECK(record->retries == 1);
  CHECK(record->error["message"] == "try again");
  CHECK(f.take_replies().empty());  // the caller waits for the last attempt
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());
  // The first backoff is at most the base (50 ms in the fixture).
  f.scheduler.tick(std::chrono::steady_clock::now() + 60ms);
  CHECK(record->state == TaskState::Queued);
  json second = hand_out(f);
  CHECK(second["attempt"] == 2);
  CHECK(record->state == TaskState::Running);
  CHECK(to_json(*record)["error"]["message"] == "try again");
  f.scheduler.done("n1", success(second, "finally"));
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["result"] == "finally");
  CHECK_FALSE(to_json(*record).contains("error"));
  CHECK(f.scheduler.stats(f.now)["retried"] == 1);
}

TEST_CASE("a task that fails its last attempt is FAILED, kept as a dead letter and can be retried" *
          doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "fail", 1, f.now);
  NewTask doomed = task("fail");
  doomed.max_retries = 1;
  TaskId id = f.submit(std::move(doomed), f.client(1));
  f.scheduler.done("n1", failure(hand_out(f), "first"));
  f.scheduler.tick(std::chrono::steady_clock::now() + 60ms);
  f.scheduler.done("n1", failure(hand_out(f), "second"));
  const TaskRecord* record = f.scheduler.find(id);
  CHECK(record->state == TaskState::Failed);
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["error"]["message"] == "second");

  // Still there after finished tasks are forgotten (keep_finished is 1 s here).
  f.scheduler.tick(std::chrono::steady_clock::now() + 2s);
  REQUIRE(f.scheduler.find(id) != nullptr);
  TaskQuery dead;
  dead.state = TaskState::Failed;
  CHECK(f.scheduler.list(dead).total == 1);

  f.hello("n1", "node-1", "fail", 1, f.now + 2s);  // dropped for its silence meanwhile
  json retried = f.scheduler.retry(id);
  CHECK(retried["state"] == "QUEUED");
  CHECK(retried["retries"] == 0);
  CHECK_FALSE(retried.contains("error"));
  json third = hand_out(f);
  CHECK(third["attempt"] == 3);
  f.scheduler.done("n1", success(third, 42));
  CHECK(record->state == TaskState::Succeeded);
}

TEST_CASE("task.retry refuses a task that is not FAILED" * doctest::timeout(10)) {
  Fixture f;
  TaskId id = f.submit(task("noop"), std::nullopt);
  CHECK_THROWS_WITH(f.scheduler.retry(id), doctest::Contains("only a FAILED task can be retried"));
  CHECK_THROWS_WITH(f.scheduler.retry(id + 1), doctest::Contains("no task"));
}

TEST_CASE("task.retry refuses a unique task whose twin made since it failed is live, and retries it once the twin ends" *
          doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "report", 1, f.now);
  NewTask unique = task("report", json::array({"nightly"}));
  unique.unique = true;
  unique.max_retries = 0;
  TaskId first = f.submit(unique, std::nullopt);
  f.scheduler.done("n1", failure(hand_out(f), "boom"));
  REQUIRE(f.scheduler.find(first)->state == TaskState::Failed);
  Submitted twin = f.scheduler.submit(unique, std::nullopt);
  REQUIRE_FALSE(twin.duplicate);

  const std::string refusal = "its twin " + format_task_id(twin.id) + " is QUEUED";
  CHECK_THROWS_WITH(f.scheduler.retry(first), doctest::Contains(refusal.c_str()));
  CHECK(f.scheduler.find(first)->state == TaskState::Failed);
  CHECK(f.scheduler.submit(unique, std::nullopt).id == twin.id);

  f.scheduler.done("n1", success(hand_out(f), "done"));
  CHECK(f.scheduler.retry(first)["state"] == "QUEUED");
  CHECK(f.scheduler.submit(unique, std::nullopt).id == first);
}

TEST_CASE("the function's max_retries from node.hello applies to tasks that set none" * doctest::timeout(10)) {
  Fixture f;
  FunctionSpec spec;
  spec.name = "fail";
  spec.max_retries = 0;
  f.scheduler.hello("n1", "node-1", {spec}, 1, {}, f.now);
  TaskId id = f.submit(task("fail"), std::nullopt);
  f.scheduler.done("n1", failure(hand_out(f), "boom"));
  CHECK(f.scheduler.find(id)->state == TaskState::Failed);
}

TEST_CASE("a timeout is sent with the task: its own, else the function's" * doctest::timeout(10)) {
  Fixture f;
  FunctionSpec spec;
  spec.name = "slow";
  spec.timeout_ms = 5000;
  f.scheduler.hello("n1", "node-1", {spec}, 2, {}, f.now);
  NewTask own = task("slow");
  own.timeout_ms = 250;
  f.submit(std::move(own), std::nullopt);
  f.submit(task("slow"), std::nullopt);
  f.scheduler.dispatch();
  json tasks = f.runs_for("n1");
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[0]["timeout_ms"] == 250);
  CHECK(tasks[1]["timeout_ms"] == 5000);
}

TEST_CASE("a lost lease counts as a failed attempt and is queued again at once" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  NewTask once = task("noop");
  once.max_retries = 1;
  TaskId id = f.submit(std::move(once), f.client(1));
  hand_out(f);
  f.scheduler.drop_node("n1", "timeout");
  const TaskRecord* record = f.scheduler.find(id);
  CHECK(record->state == TaskState::Queued);
  CHECK(record->retries == 1);
  f.hello("n1", "node-1", "noop", 1, f.now);
  hand_out(f);
  f.scheduler.drop_node("n1", "disconnected");
  CHECK(record->state == TaskState::Failed);
  CHECK(record->error["data"]["type"] == "zerotask::NodeLost");
  CHECK(record->error["data"]["node"] == "node-1");
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["error"]["code"] == -32000);
  // The lost node comes back with the result of that attempt: too late, and stale.
  f.hello("n1", "node-1", "noop", 1, f.now);
  f.scheduler.done("n1", success(json{{"id", format_task_id(id)}, {"attempt", 2}}, "late"));
  CHECK(record->state == TaskState::Failed);
  CHECK(f.scheduler.stats(f.now)["stale_results"] == 1);
}

TEST_CASE("a node that says bye hands its tasks back without using a retry" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  NewTask none = task("noop");
  none.max_retries = 0;
  TaskId id = f.submit(std::move(none), std::nullopt);
  hand_out(f);
  f.scheduler.drop_node("n1", "bye");
  CHECK(f.scheduler.find(id)->state == TaskState::Queued);
  CHECK(f.scheduler.find(id)->retries == 0);
}

TEST_CASE("a result or progress with a stale lease token is refused and counted" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId id = f.submit(task("noop"), std::nullopt);
  json first = hand_out(f);
  f.scheduler.drop_node("n1", "timeout");
  f.hello("n2", "node-2", "noop", 1, f.now);
  f.scheduler.dispatch();
  json second = f.runs_for("n2").at(0);
  CHECK(second["attempt"] == 2);
  // The zombie comes back under its old name and reports its old attempt.
  f.hello("n1", "node-1", "noop", 1, f.now);
  f.scheduler.done("n1", success(first, "stale"));
  f.scheduler.progress("n1", id, 1, json{{"current", 1}}, std::nullopt);
  const TaskRecord* record = f.scheduler.find(id);
  CHECK(record->state == TaskState::Running);
  CHECK(record->progress.is_null());
  // The right node with a wrong attempt is stale too.
  f.scheduler.done("n2", success(first, "wrong attempt"));
  CHECK(record->state == TaskState::Running);
  CHECK(f.scheduler.stats(f.now)["stale_results"] == 3);
  f.scheduler.done("n2", success(second, "fresh"));
  CHECK(record->result == "fresh");
}

TEST_CASE("a cancelled PENDING task is not queued when its backoff ends" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "flaky", 1, f.now);
  TaskId id = f.submit(task("flaky"), std::nullopt);
  f.scheduler.done("n1", failure(hand_out(f), "later"));
  REQUIRE(f.scheduler.find(id)->state == TaskState::Pending);
  CHECK(f.scheduler.cancel(id, f.now)["state"] == "CANCELLED");
  auto later = std::chrono::steady_clock::now() + 250ms;  // past any first backoff (50 ms here)
  f.scheduler.touch("n1", later);
  f.scheduler.tick(later);
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());
  CHECK(f.scheduler.find(id)->state == TaskState::Cancelled);
}

TEST_CASE("a result the broker already took, sent again by its node, is neither taken twice nor counted stale" *
          doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId id = f.submit(task("noop"), f.client(1));
  json run = hand_out(f);
  f.scheduler.done("n1", success(run, "first"));
  f.scheduler.done("n1", success(run, "again"));
  CHECK(f.scheduler.find(id)->result == "first");
  CHECK(f.take_replies().size() == 1);
  CHECK(f.scheduler.stats(f.now)["stale_results"] == 0);
}

TEST_CASE("results from a peer that is no node are refused and counted stale" * doctest::timeout(10)) {
  Fixture f;
  f.scheduler.refuse_from_unknown_peer(3);
  CHECK(f.scheduler.stats(f.now)["stale_results"] == 3);
}

// A scheduler constructed over a store that already holds tasks: what a restarted
// broker does with them (docs/PROTOCOL.md, "Storage").
#include <doctest/doctest.h>

#include "scheduler_fixture.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using namespace zerotask::broker::testing;
using namespace std::chrono_literals;

namespace {

// A second scheduler over the first one's store, as after a broker restart.
struct Restarted {
  explicit Restarted(Fixture& before) : store(before.store) {}

  MemoryTaskStore& store;
  Outbox outbox;
  SteadyTime now = std::chrono::steady_clock::now();
  Scheduler scheduler{store, outbox, test_config(), now};

  json runs_for(const std::string& routing_id) {
    json tasks = json::array();
    for (auto& message : outbox.take_hand_outs()) {
      if (message.to.routing_id() != routing_id) continue;
      json body = json::parse(message.body);
      for (auto& task : body["params"]["tasks"]) tasks.push_back(task);
    }
    return tasks;
  }
};

}  // namespace

TEST_CASE("a restarted scheduler recovers every task with its state" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId running = f.submit(task("noop"), std::nullopt);
  f.scheduler.dispatch();
  TaskId queued_first = f.submit(task("noop"), std::nullopt);
  TaskId queued_second = f.submit(task("noop"), std::nullopt);
  TaskId cancelled = f.submit(task("other"), std::nullopt);
  f.scheduler.cancel(cancelled, f.now);

  Restarted r(f);
  json tasks = r.scheduler.stats(r.now)["tasks"];
  CHECK(tasks["QUEUED"] == 2);
  CHECK(tasks["RUNNING"] == 1);
  CHECK(tasks["CANCELLED"] == 1);
  CHECK(r.scheduler.find(running)->state == TaskState::Running);
  // New ids stay above the recovered ones.
  TaskId fresh = r.scheduler.submit(task("noop"), std::nullopt).id;
  CHECK(fresh > cancelled);
  // The queue keeps its order.
  r.scheduler.hello("n2", "node-2", serving("noop"), 2, {}, r.now);
  r.scheduler.dispatch();
  json handed = r.runs_for("n2");
  REQUIRE(handed.size() == 2);
  CHECK(handed[0]["id"] == format_task_id(queued_first));
  CHECK(handed[1]["id"] == format_task_id(queued_second));
}

TEST_CASE("a task running at the restart is delivered by its node when it reconnects" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId id = f.submit(task("noop"), std::nullopt);
  f.scheduler.dispatch();
  json run = f.runs_for("n1").at(0);

  Restarted r(f);
  // Same node name, new connection, no running list (a node that does not send one).
  r.scheduler.hello("n1-again", "node-1", serving("noop"), 0, {}, r.now);
  r.scheduler.done("n1-again", json::array({json{{"id", run["id"]}, {"attempt", 1}, {"result", "kept"}}}));
  CHECK(r.scheduler.find(id)->state == TaskState::Succeeded);
  CHECK(r.scheduler.find(id)->result == "kept");
}

TEST_CASE("a node's running list renews its leases, so they outlive the restart lease" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId id = f.submit(task("noop"), std::nullopt);
  f.scheduler.dispatch();

  Restarted r(f);
  LeaseToken token;
  token.id = id;
  token.attempt = 1;
  r.scheduler.hello("n1-again", "node-1", serving("noop"), 0, {token}, r.now);
  // Past the recovered lease (3 heartbeats of 100 ms), with the node beating.
  for (int beat = 1; beat <= 5; ++beat) {
    r.scheduler.touch("n1-again", r.now + beat * 100ms);
    r.scheduler.tick(r.now + beat * 100ms);
  }
  CHECK(r.scheduler.find(id)->state == TaskState::Running);
  CHECK(r.scheduler.nodes(r.now)["nodes"][0]["running"] == 1);
}

TEST_CASE("a task running at the restart that nobody reclaims is queued again after its lease" *
          doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId id = f.submit(task("noop"), std::nullopt);
  f.scheduler.dispatch();

  Restarted r(f);
  r.scheduler.tick(r.now + 150ms);
  CHECK(r.scheduler.find(id)->state == TaskState::Running);
  r.scheduler.tick(r.now + 400ms);
  const TaskRecord* record = r.scheduler.find(id);
  CHECK(record->state == TaskState::Queued);
  CHECK(record->retries == 1);
  r.scheduler.hello("n2", "node-2", serving("noop"), 1, {}, r.now);
  r.scheduler.dispatch();
  // Attempt 2 may have been handed out just before the crash: it is skipped.
  CHECK(r.runs_for("n2").at(0)["attempt"] == 3);
}

TEST_CASE("a PENDING task keeps its backoff across a restart" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "flaky", 1, f.now);
  TaskId id = f.submit(task("flaky"), std::nullopt);
  f.scheduler.dispatch();
  json run = f.runs_for("n1").at(0);
  f.scheduler.done("n1", json::array({json{{"id", run["id"]}, {"attempt", 1}, {"error", {{"code", -32000}, {"message", "x"}}}}}));
  REQUIRE(f.scheduler.find(id)->state == TaskState::Pending);

  Restarted r(f);
  CHECK(r.scheduler.stats(r.now)["tasks"]["PENDING"] == 1);
  r.scheduler.tick(r.now + 300ms);
  CHECK(r.scheduler.find(id)->state == TaskState::Queued);
}

TEST_CASE("idempotency keys survive a restart" * doctest::timeout(10)) {
  Fixture f;
  NewTask keyed = task("noop");
  keyed.idempotency_key = "order-17";
  TaskId first = f.submit(std::move(keyed), std::nullopt);

  Restarted r(f);
  NewTask again = task("noop");
  again.idempotency_key = "order-17";
  Submitted second = r.scheduler.submit(std::move(again), std::nullopt);
  CHECK(second.duplicate);
  CHECK(second.id == first);
}

TEST_CASE("a recovered task skips the attempt a hand-out lost in the crash may have used, so its result is stale" *
          doctest::timeout(10)) {
  Fixture f;
  // Queued in the store; a node.run with attempt 1 went out, but the crash came
  // before its commit.
  TaskId id = f.submit(task("noop"), std::nullopt);
  Restarted r(f);
  r.scheduler.hello("zombie", "node-z", serving("noop"), 0, {}, r.now);
  r.scheduler.hello("n2", "node-2", serving("noop"), 1, {}, r.now);
  r.scheduler.dispatch();
  json run = r.runs_for("n2").at(0);
  CHECK(run["attempt"] == 2);
  r.scheduler.done("zombie", json::array({json{{"id", format_task_id(id)}, {"attempt", 1}, {"result", "lost"}}}));
  CHECK(r.scheduler.find(id)->state == TaskState::Running);
  CHECK(r.scheduler.stats(r.now)["stale_results"] == 1);
}

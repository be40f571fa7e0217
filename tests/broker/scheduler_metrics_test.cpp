// broker.metrics from the scheduler: tasks by function and state kept as they
// change, queue depth and the age of the oldest queued task, counters since start,
// the run-time histogram, nodes and free slots, and the store.
#include <doctest/doctest.h>

#include <thread>

#include "scheduler_fixture.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using namespace zerotask::broker::testing;
using namespace std::chrono_literals;

namespace {

// The count of `function` tasks in `state`; 0 when absent.
std::size_t tasks_in(const json& metrics, const std::string& function, const std::string& state) {
  for (const auto& entry : metrics["tasks"]) {
    if (entry["function"] == function && entry["state"] == state) return entry["count"].get<std::size_t>();
  }
  return 0;
}

json queue_of(const json& metrics, const std::string& queue) {
  for (const auto& entry : metrics["queues"]) {
    if (entry["queue"] == queue) return entry;
  }
  FAIL("no queue " << queue << " in " << metrics.dump());
  return nullptr;
}

}  // namespace

TEST_CASE("tasks are counted by function and state as they change, and a function with none is left out" *
          doctest::timeout(10)) {
  Fixture f;
  TaskId first = f.submit(task("add"), std::nullopt);
  f.submit(task("add"), std::nullopt);
  NewTask short_lived = task("echo");
  short_lived.result_ttl_ms = 0;
  TaskId echo = f.submit(std::move(short_lived), std::nullopt);
  json metrics = f.scheduler.metrics(f.now);
  CHECK(tasks_in(metrics, "add", "QUEUED") == 2);
  CHECK(tasks_in(metrics, "echo", "QUEUED") == 1);
  CHECK(metrics["tasks"].size() == 2);

  f.hello("n1", "node-1", "add", 1, f.now);
  f.scheduler.dispatch();
  REQUIRE(f.runs_for("n1").size() == 1);
  metrics = f.scheduler.metrics(f.now);
  CHECK(tasks_in(metrics, "add", "RUNNING") == 1);
  CHECK(tasks_in(metrics, "add", "QUEUED") == 1);
  f.report("n1", first, 1, 3);
  f.scheduler.cancel(echo, f.now);
  metrics = f.scheduler.metrics(f.now);
  CHECK(tasks_in(metrics, "add", "SUCCEEDED") == 1);
  CHECK(tasks_in(metrics, "echo", "CANCELLED") == 1);
  CHECK(metrics["counters"]["submitted"] == 3);
  CHECK(metrics["counters"]["succeeded"] == 1);
  CHECK(metrics["counters"]["cancelled"] == 1);
  CHECK(metrics["counters"]["failed"] == 0);

  // The cancelled echo had a result TTL of 0: forgotten at the next tick, and its
  // function with it.
  f.scheduler.tick(std::chrono::steady_clock::now());
  metrics = f.scheduler.metrics(f.now);
  CHECK(tasks_in(metrics, "echo", "CANCELLED") == 0);
  for (const auto& entry : metrics["tasks"]) CHECK(entry["function"] == "add");
  CHECK(metrics["counters"]["cancelled"] == 1);  // counters keep counting what is forgotten
  CHECK(metrics["store"] == json{{"name", "memory"}, {"ok", true}, {"tasks", 2}});
}

TEST_CASE("a queue's depth and the age of its oldest queued task" * doctest::timeout(10)) {
  Fixture f;
  TaskId a = f.submit(in_queue("resize", "images"), std::nullopt);
  std::this_thread::sleep_for(40ms);
  TaskId b = f.submit(in_queue("resize", "images"), std::nullopt);
  const SteadyTime queued = std::chrono::steady_clock::now();
  json images = queue_of(f.scheduler.metrics(queued + 1s), "images");
  CHECK(images["depth"] == 2);
  CHECK(images["oldest_age_ms"].get<std::int64_t>() >= 1040);

  // The oldest is handed out: the next one is the oldest.
  f.hello_queues("n1", "node-1", "resize", 1, {"images"}, f.now);
  f.scheduler.dispatch();
  REQUIRE(f.runs_for("n1").size() == 1);
  images = queue_of(f.scheduler.metrics(queued + 1s), "images");
  CHECK(images["depth"] == 1);
  CHECK(images["oldest_age_ms"].get<std::int64_t>() >= 1000);
  CHECK(images["oldest_age_ms"].get<std::int64_t>() < 1040);

  // Its lease lost, it goes back at the head of the queue, newer than the task
  // behind it, which stays the oldest.
  std::this_thread::sleep_for(40ms);
  f.scheduler.drop_node("n1", "timeout");
  REQUIRE(f.record(a).state == TaskState::Queued);
  images = queue_of(f.scheduler.metrics(queued + 1s), "images");
  CHECK(images["depth"] == 2);
  CHECK(images["oldest_age_ms"].get<std::int64_t>() >= 1000);

  // With that one cancelled, the requeued task at the head is the oldest.
  f.scheduler.cancel(b, f.now);
  images = queue_of(f.scheduler.metrics(queued + 1s), "images");
  CHECK(images["depth"] == 1);
  CHECK(images["oldest_age_ms"].get<std::int64_t>() < 1000);
}

TEST_CASE("a queue with nothing queued has depth 0 and age 0" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "add", 1, f.now);
  TaskId id = f.submit(task("add"), std::nullopt);
  f.scheduler.dispatch();
  f.report("n1", id, 1, 2);
  json queue = queue_of(f.scheduler.metrics(f.now + 1s), "default");
  CHECK(queue == json{{"queue", "default"}, {"depth", 0}, {"oldest_age_ms", 0}});
}

TEST_CASE("attempts that ran are counted in the run-time histogram and retries in the counters" *
          doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "flaky", 1, f.now);
  NewTask flaky = task("flaky");
  flaky.max_retries = 1;
  TaskId id = f.submit(std::move(flaky), std::nullopt);
  f.scheduler.dispatch();
  REQUIRE(f.runs_for("n1").size() == 1);
  std::this_thread::sleep_for(30ms);
  f.report_error("n1", id, 1);
  json metrics = f.scheduler.metrics(f.now);
  CHECK(metrics["counters"]["retried"] == 1);
  CHECK(metrics["counters"]["failed"] == 0);
  json run = metrics["run_seconds"];
  CHECK(run["count"] == 1);
  CHECK(run["sum"].get<double>() >= 0.03);
  REQUIRE(run["buckets"].size() == run["counts"].size());
  CHECK(run["buckets"][0] == 0.005);
  CHECK(run["counts"][0] == 0);                       // 30 ms is over 5 ms
  CHECK(run["counts"].back() == 1);                   // and under an hour
  CHECK(tasks_in(metrics, "flaky", "PENDING") == 1);  // its backoff
}

TEST_CASE("nodes, their slots and the free ones" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "add", 3, f.now);
  f.hello("n2", "node-2", "add", 2, f.now);
  f.submit(task("add"), std::nullopt);
  f.scheduler.dispatch();
  json metrics = f.scheduler.metrics(f.now);
  CHECK(metrics["nodes"] == 2);
  CHECK(metrics["slots"] == 5);
  CHECK(metrics["free_slots"] == 4);
  CHECK(metrics["running"] == 1);
  CHECK(metrics["epoch"] == "epoch");
}

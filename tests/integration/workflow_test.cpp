// Dependencies, time, queues, cancellation and periodic schedules through the real
// broker and node executables, over raw JSON-RPC as docs/PROTOCOL.md describes it.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "system_fixture.hpp"

using namespace zerotask::testing;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("a chain submitted as one batch passes each result to the next task" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  json tasks =
      json::array({json{{"function", "add"}, {"params", {1, 2}}},
                   json{{"function", "multiply"}, {"params", {10}}, {"depends_on", {0}}, {"pass_results", "prepend"}},
                   json{{"function", "add"}, {"params", {5}}, {"depends_on", {1}}, {"pass_results", "prepend"}}});
  json ids = system.result_of("task.submit_many", {{"tasks", tasks}})["ids"];
  json last = system.wait_for(ids[2]);
  CHECK(last["state"] == "SUCCEEDED");
  CHECK(last["result"] == 35);
  CHECK(last["params"] == json::array({30, 5}));
}

TEST_CASE("a dependent of a failed task is cancelled with an error naming the failed task" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  std::string failing = system.result_of("task.submit", {{"function", "fail"}, {"params", {"boom"}}})["id"];
  std::string dependent =
      system.result_of("task.submit", {{"function", "add"}, {"params", {1, 1}}, {"depends_on", {failing}}})["id"];
  json task = system.wait_for(dependent);
  CHECK(task["state"] == "CANCELLED");
  CHECK(task["error"]["data"]["dependency"] == failing);
  CHECK(task["error"]["data"]["dependency_state"] == "FAILED");
}

TEST_CASE("a task with a countdown stays PENDING until it is due, then runs" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  json submitted = system.result_of("task.submit", {{"function", "add"}, {"params", {2, 2}}, {"countdown_ms", 600}});
  CHECK(submitted["state"] == "PENDING");
  std::string id = submitted["id"];
  std::this_thread::sleep_for(200ms);
  json early = system.result_of("task.get", {{"id", id}});
  CHECK(early["state"] == "PENDING");
  CHECK(early.contains("run_at"));
  json done = system.wait_for(id);
  CHECK(done["state"] == "SUCCEEDED");
  CHECK(done["started_at"].get<std::int64_t>() >= early["run_at"].get<std::int64_t>());
}

TEST_CASE("a node serves only the queues it names" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("reports-only", 1, {"--queues", "reports"});
  std::string elsewhere = system.result_of("task.submit", {{"function", "echo"}, {"params", {"default"}}})["id"];
  std::string reports =
      system.result_of("task.submit", {{"function", "echo"}, {"params", {"reports"}}, {"queue", "reports"}})["id"];
  CHECK(system.wait_for(reports)["result"] == "reports");
  CHECK(system.result_of("task.get", {{"id", elsewhere}})["state"] == "QUEUED");
  system.start_node("default-too", 1);
  CHECK(system.wait_for(elsewhere)["result"] == "default");
}

TEST_CASE("cancelling a running task fires its stop token and ends it CANCELLED before the grace period" *
          doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker({"--cancel-grace-ms", "20000"});
  system.start_node("n1", 1);
  std::string id = system.result_of("task.submit", {{"function", "sleep"}, {"params", {30000}}})["id"];
  REQUIRE(wait_until([&] { return system.result_of("task.get", {{"id", id}})["state"] == "RUNNING"; }));
  auto asked_at = std::chrono::steady_clock::now();
  json asked = system.result_of("task.cancel", {{"id", id}});
  CHECK(asked["state"] == "RUNNING");
  CHECK(asked["cancel_requested"] == true);
  json task = system.wait_for(id);
  CHECK(task["state"] == "CANCELLED");
  CHECK(std::chrono::steady_clock::now() - asked_at < 5s);
  // The node's worker is free again: the next task runs.
  CHECK(system.result_of("task.submit", {{"function", "add"}, {"params", {1, 2}}, {"wait", true}}) == 3);
}

TEST_CASE("a periodic schedule makes tasks, survives a broker restart and fires a missed run once" *
          doctest::timeout(60)) {
  TempDir dir;
  const std::vector<std::string> durable = {"--store", dir.file("tasks.db")};
  SystemFixture system;
  system.start_broker(durable);
  json added = system.result_of(
      "schedule.add", {{"name", "tick"}, {"interval_ms", 200}, {"task", {{"function", "echo"}, {"params", {"tick"}}}}});
  CHECK(added["name"] == "tick");
  REQUIRE(wait_until([&] { return system.task_count("echo") >= 3; }, 5s));
  int before_kill = system.task_count("echo");
  REQUIRE(before_kill >= 0);
  system.broker->signal(SIGKILL);
  system.broker->wait(5s);
  std::this_thread::sleep_for(1500ms);  // about 7 runs are missed
  system.start_broker(durable);
  json schedules = system.result_of("schedule.list", nullptr)["schedules"];
  REQUIRE(schedules.size() == 1);
  CHECK(schedules[0]["interval_ms"] == 200);
  std::this_thread::sleep_for(100ms);
  // At most one run made between the count and the kill, then one for all the
  // missed ones; then every 200 ms again.
  int after_restart = system.task_count("echo");
  REQUIRE(after_restart >= 0);
  CHECK(after_restart - before_kill <= 2);
  CHECK(after_restart - before_kill >= 1);
  REQUIRE(wait_until([&] { return system.task_count("echo") >= after_restart + 3; }, 5s));
  system.result_of("schedule.remove", {{"name", "tick"}});
  CHECK(system.result_of("schedule.list", nullptr)["schedules"].empty());
  CHECK(system.peer->call("schedule.remove", {{"name", "tick"}})["error"]["code"] == -32004);
}

TEST_CASE("a rate limit spaces a function's tasks across the node and says why a task waits" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1", 4);
  json limit = system.result_of("limits.set", {{"function", "echo"}, {"rate_per_s", 10}, {"burst", 2}});
  CHECK(limit == json{{"function", "echo"}, {"rate_per_s", 10.0}, {"burst", 2}});
  json tasks = json::array();
  for (int i = 0; i < 12; ++i) tasks.push_back({{"function", "echo"}, {"params", {i}}});
  auto start = std::chrono::steady_clock::now();
  json ids = system.result_of("task.submit_many", {{"tasks", tasks}})["ids"];
  json last = system.result_of("task.get", {{"id", ids[11]}});
  REQUIRE(last["state"] == "QUEUED");  // a second's worth of tokens away
  CHECK(last["held"].get<std::string>().find("rate limit") != std::string::npos);
  for (const auto& id : ids) CHECK(system.wait_for(id)["state"] == "SUCCEEDED");
  // 2 at once, then 10 at 10 a second.
  CHECK(std::chrono::steady_clock::now() - start >= 900ms);
  CHECK(system.result_of("limits.list", nullptr)["limits"].size() == 1);
}

TEST_CASE("a concurrency limit keeps a function's tasks from running side by side" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1", 4);
  system.result_of("limits.set", {{"function", "sleep"}, {"concurrency", 1}});
  std::string first = system.result_of("task.submit", {{"function", "sleep"}, {"params", {300}}})["id"];
  std::string second = system.result_of("task.submit", {{"function", "sleep"}, {"params", {300}}})["id"];
  json waiting = system.result_of("task.get", {{"id", second}});
  REQUIRE(waiting["state"] == "QUEUED");  // the first sleeps for 300 ms
  CHECK(waiting["held"].get<std::string>().find("concurrency limit") != std::string::npos);
  json one = system.wait_for(first);
  json two = system.wait_for(second);
  CHECK(two["started_at"].get<std::int64_t>() >= one["ended_at"].get<std::int64_t>());
  system.result_of("limits.remove", {{"function", "sleep"}});
  CHECK(system.result_of("limits.list", nullptr)["limits"].empty());
}

namespace {

constexpr const char* kRules = R"({"rules": [
  {"name": "announce-sums", "task": "^add$", "make": {"function": "echo", "params": ["sum was ${result}"]}},
  {"name": "resize-uploads", "event": "^upload:(?<bucket>[a-z]+)/(?<file>.+)$",
   "make": {"function": "echo", "params": ["${bucket}", "${file}", "${data.size}"], "queue": "images"}}
]})";

}  // namespace

TEST_CASE("rules make tasks from succeeded tasks and from emitted events, deduplicated" * doctest::timeout(60)) {
  TempDir dir;
  std::ofstream(dir.file("rules.json")) << kRules;
  SystemFixture system;
  system.start_broker({"--rules", dir.file("rules.json")});
  system.start_node("n1");
  CHECK(system.result_of("task.submit", {{"function", "add"}, {"params", {2, 3}}, {"wait", true}}) == 5);
  REQUIRE(wait_until([&] { return system.task_count("echo") == 1; }));
  json made = system.result_of("task.list", {{"function", "echo"}})["tasks"][0];
  CHECK(system.wait_for(made["id"])["result"] == "sum was 5");

  // No node serves the images queue yet: the made task waits, and the same event
  // again makes nothing new.
  json first = system.result_of("event.emit", {{"event", "upload:photos/cat.jpg"}, {"data", {{"size", 2048}}}});
  json again = system.result_of("event.emit", {{"event", "upload:photos/cat.jpg"}, {"data", {{"size", 2048}}}});
  REQUIRE(first["tasks"].size() == 1);
  CHECK(again["tasks"] == first["tasks"]);
  CHECK(system.result_of("event.emit", {{"event", "download:x"}})["tasks"].empty());
  system.start_node("images", 1, {"--queues", "images"});
  CHECK(system.wait_for(first["tasks"][0])["result"] == json::array({"photos", "cat.jpg", 2048}));
}

TEST_CASE("a broker whose rules file has a bad rule stops at start naming the rule and the reason" *
          doctest::timeout(60)) {
  TempDir dir;
  std::ofstream(dir.file("rules.json"))
      << R"({"rules": [{"name": "broken", "task": "add(", "make": {"function": "echo"}}]})";
  auto result = run_command(bin_dir() + "/broker", {"--endpoint", free_tcp_endpoint(), "--store", "memory", "--rules",
                                                    dir.file("rules.json")});
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("rule 'broken'") != std::string::npos);
  CHECK(result.output.find("does not compile") != std::string::npos);
}

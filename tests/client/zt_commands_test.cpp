// The zt executable against a fake broker: what its task options and workflows
// send, what it prints, and its exit codes.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client_test_helpers.hpp"
#include "fake_broker.hpp"
#include "test_support.hpp"
#include "zerotask/client.hpp"
#include "zerotask/rpc_error.hpp"

using namespace std::chrono_literals;
using zerotask::json;
using zerotask::testing::add;
using zerotask::testing::CommandResult;
using zerotask::testing::contains;
using zerotask::testing::FakeBroker;
using zerotask::testing::quick_options;
using zerotask::testing::wait_until;

namespace {

constexpr const char* kFirst = "0000d1f5c2a40001";
constexpr const char* kSecond = "0000d1f5c2a40002";
constexpr const char* kThird = "0000d1f5c2a40003";

CommandResult zt(const FakeBroker& broker, std::vector<std::string> args) {
  args.push_back("--broker");
  args.push_back(broker.endpoint());
  return zerotask::testing::run_command(zerotask::testing::bin_dir() + "/zt", args);
}

json echo(const json& params) {
  return params;
}

}  // namespace

TEST_CASE("zt call with a --timeout waits through a broker shutdown and a restart slower than 3 s" *
          doctest::timeout(60)) {
  FakeBroker broker;
  broker.hold("slow");
  auto call = std::async(std::launch::async, [&] { return zt(broker, {"call", "slow", "7", "--timeout", "20000"}); });
  REQUIRE(wait_until([&] { return broker.tasks_of("slow").size() == 1; }, 10s));
  broker.stop_gracefully();
  std::this_thread::sleep_for(3500ms);
  broker.start();
  REQUIRE(wait_until([&] { return broker.requests("task.submit") == 2; }, 10s));
  broker.finish(broker.tasks_of("slow").front(), 7);
  REQUIRE(call.wait_for(10s) == std::future_status::ready);
  CommandResult result = call.get();
  CHECK(result.exit_code == 0);
  CHECK(result.output == "7\n");
  CHECK(broker.tasks_of("slow").size() == 1);
}

TEST_CASE("zt submit sends the task options it is given" * doctest::timeout(60)) {
  FakeBroker broker;
  auto submitted = zt(broker, {"submit",
                               "--after",
                               kFirst,
                               "resize",
                               "1",
                               "--queue",
                               "images",
                               "--priority",
                               "3",
                               "--countdown-ms",
                               "500",
                               "--after",
                               std::string(kSecond) + "," + kThird,
                               "--on-dependency-failure",
                               "run",
                               "--pass-results",
                               "prepend",
                               "--unique",
                               "--result-ttl-ms",
                               "1000"});
  REQUIRE(submitted.exit_code == 0);
  json params = broker.last_params("task.submit");
  CHECK(submitted.output == broker.tasks_of("resize").at(0) + "\n");
  CHECK(params["function"] == "resize");
  CHECK(params["params"] == json::array({1}));
  CHECK(params["queue"] == "images");
  CHECK(params["priority"] == 3);
  CHECK(params["countdown_ms"] == 500);
  CHECK(params["depends_on"] == json::array({kFirst, kSecond, kThird}));
  CHECK(params["on_dependency_failure"] == "run");
  CHECK(params["pass_results"] == "prepend");
  CHECK(params["unique"] == true);
  CHECK(params["result_ttl_ms"] == 1000);

  REQUIRE(zt(broker, {"submit", "resize", "--eta-ms", "1795437582123"}).exit_code == 0);
  CHECK(broker.last_params("task.submit")["eta"] == 1795437582123);
}

TEST_CASE("zt submit refuses task options it cannot use with exit code 2" * doctest::timeout(60)) {
  FakeBroker broker;
  auto sideways = zt(broker, {"submit", "resize", "--pass-results", "sideways"});
  CHECK(sideways.exit_code == 2);
  CHECK(contains(sideways.output, "--pass-results is none, prepend or list, not 'sideways'"));
  auto not_an_id = zt(broker, {"submit", "resize", "--after", "xyz"});
  CHECK(not_an_id.exit_code == 2);
  CHECK(contains(not_an_id.output, "'xyz' is not a task id"));
  CHECK(zt(broker, {"submit", "resize", "--countdown-ms", "5", "--eta-ms", "5"}).exit_code == 2);
  CHECK(zt(broker, {"submit", "resize", "--priority", "10"}).exit_code == 2);
  CHECK(broker.requests("task.submit") == 0);
}

TEST_CASE("zt chain runs its steps as one chain and prints the last result" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.serve("echo", echo);
  auto chained = zt(broker, {"chain", "echo 1", R"(echo "two words" [1, 2])", "--json"});
  CHECK(chained.exit_code == 0);
  CHECK(chained.output == "[\"two words\",[1,2]]\n");
  json entries = broker.last_params("task.submit_many")["tasks"];
  REQUIRE(entries.size() == 2);
  CHECK(entries[0]["params"] == json::array({1}));
  CHECK(entries[1]["params"] == json::array({"two words", json::array({1, 2})}));
  CHECK(entries[1]["depends_on"] == json::array({0}));
  CHECK(entries[1]["pass_results"] == "prepend");
}

TEST_CASE("zt chain exits 1 saying which step failed" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.hold("step");
  auto chaining = std::async(std::launch::async, [&] { return zt(broker, {"chain", "step 1", "step"}); });
  REQUIRE(wait_until([&] { return broker.tasks_of("step").size() == 2; }, 10s));
  std::vector<std::string> ids = broker.tasks_of("step");
  broker.fail(ids[0], {zerotask::rpc::kTaskFailed, "boom", nullptr});
  broker.cancel(
      ids[1],
      {zerotask::rpc::kCancelled, "a dependency failed", {{"dependency", ids[0]}, {"dependency_state", "FAILED"}}});
  CommandResult chained = chaining.get();
  CHECK(chained.exit_code == 1);
  CHECK(chained.output == "zt: task " + ids[1] + " was cancelled: its dependency " + ids[0] + " ended FAILED\n");
}

TEST_CASE("zt chain --no-wait prints the id of the last step" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.hold("step");
  auto chained = zt(broker, {"chain", "step 1", "step", "--no-wait"});
  CHECK(chained.exit_code == 0);
  CHECK(chained.output == broker.tasks_of("step").at(1) + "\n");
}

TEST_CASE("zt group prints the array of its results, or with --no-wait the ids" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.serve("add", add);
  auto grouped = zt(broker, {"group", "add 1 2", "add 3 4"});
  CHECK(grouped.exit_code == 0);
  CHECK(grouped.output == "[\n  3,\n  7\n]\n");
  json entries = broker.last_params("task.submit_many")["tasks"];
  for (const json& entry : entries) CHECK_FALSE(entry.contains("depends_on"));

  auto ids = zt(broker, {"group", "add 1 2", "add 3 4", "--no-wait"});
  CHECK(ids.exit_code == 0);
  std::vector<std::string> made = broker.tasks_of("add");
  CHECK(ids.output == made.at(2) + "\n" + made.at(3) + "\n");
}

TEST_CASE("zt group exits 1 naming the member that failed" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.serve("add", add);
  broker.serve("fail", [](const json&) -> json { throw zerotask::RpcError(zerotask::rpc::kTaskFailed, "boom"); });
  auto grouped = zt(broker, {"group", "add 1 2", "fail"});
  CHECK(grouped.exit_code == 1);
  CHECK(contains(grouped.output, "zt: task " + broker.tasks_of("fail").at(0) + " failed: boom"));
}

TEST_CASE("zt chord runs --then after the others and prints its result" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.serve("add", add);
  broker.serve("total", [](const json&) -> json { return 10; });
  auto chorded = zt(broker, {"chord", "add 1 2", "add 3 4", "--then", "total"});
  CHECK(chorded.exit_code == 0);
  CHECK(chorded.output == "10\n");
  json entries = broker.last_params("task.submit_many")["tasks"];
  REQUIRE(entries.size() == 3);
  CHECK(entries[2]["function"] == "total");
  CHECK(entries[2]["depends_on"] == json::array({0, 1}));
  CHECK(entries[2]["pass_results"] == "list");
  CHECK(zt(broker, {"chord", "add 1 2"}).exit_code == 2);
}

TEST_CASE("zt chain times out with exit code 4 after --timeout" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.hold("step");
  auto chained = zt(broker, {"chain", "step", "step", "--timeout", "300"});
  CHECK(chained.exit_code == 4);
  CHECK(contains(chained.output, "zt: the chain is not finished after 300 ms"));
}

TEST_CASE("zt cancel of a running task says the cancel was requested" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());
  std::string id = client.submit("slow").id();
  auto cancelled = zt(broker, {"cancel", id});
  CHECK(cancelled.exit_code == 0);
  CHECK(cancelled.output == "RUNNING (cancel requested)\n");
}

TEST_CASE("zt watch shows progress as a bar and each partial result once, in order" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.hold("stream");
  zerotask::Client client(broker.endpoint(), quick_options());
  std::string id = client.submit("stream").id();
  broker.keep_partial(id, "a");
  broker.keep_partial(id, "b");

  auto watching = std::async(std::launch::async, [&] { return zt(broker, {"watch", id}); });
  REQUIRE(wait_until([&] { return broker.requests("task.get") >= 1; }, 10s));
  broker.publish_progress(id, {{"done", 1}, {"total", 2}, {"message", "halfway"}});
  broker.stream_partial(id, "c");
  REQUIRE(wait_until([&] { return broker.requests("task.get") >= 2; }, 10s));
  broker.finish(id, "done");
  CommandResult watched = watching.get();
  CHECK(watched.exit_code == 0);
  const std::string& out = watched.output;
  CHECK(out.starts_with("partial 0: a\npartial 1: b\nRUNNING\n"));
  CHECK(contains(out, "RUNNING [##########..........] 1/2 halfway\n"));
  CHECK(contains(out, "partial 2: c\n"));
  CHECK(out.find("partial 2: c") == out.rfind("partial 2: c"));
  CHECK(out.ends_with("SUCCEEDED\ndone\n"));
}

TEST_CASE("zt watch --json prints one JSON object per line" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.hold("stream");
  zerotask::Client client(broker.endpoint(), quick_options());
  std::string id = client.submit("stream").id();
  broker.keep_partial(id, {{"row", 1}});

  auto watching = std::async(std::launch::async, [&] { return zt(broker, {"watch", id, "--json"}); });
  REQUIRE(wait_until([&] { return broker.requests("task.get") >= 1; }, 10s));
  broker.finish(id, "done");
  CommandResult watched = watching.get();
  CHECK(watched.exit_code == 0);
  std::vector<json> lines;
  for (std::size_t start = 0; start < watched.output.size();) {
    std::size_t end = watched.output.find('\n', start);
    REQUIRE(end != std::string::npos);
    lines.push_back(json::parse(watched.output.substr(start, end - start), nullptr, false));
    start = end + 1;
  }
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == json{{"id", id}, {"partial", {{"row", 1}}}, {"index", 0}});
  CHECK(lines[1]["state"] == "RUNNING");
  CHECK(lines[2]["state"] == "SUCCEEDED");
}

TEST_CASE("zt schedule add sends the schedule with its task options and prints it" * doctest::timeout(60)) {
  FakeBroker broker;
  auto added = zt(
      broker, {"schedule", "add", "tick", "--every-ms", "200", "echo", "tick", "5", "--queue", "reports", "--priority",
               "5", "--max-retries", "2", "--task-timeout-ms", "1000", "--unique", "--result-ttl-ms", "60000"});
  CHECK(added.exit_code == 0);
  CHECK(added.output ==
        "schedule  tick\n"
        "when      every 200 ms\n"
        "next run  2026-11-24T03:00:00.000Z\n"
        "task      echo [\"tick\",5] max_retries=2 priority=5 queue=reports result_ttl_ms=60000 timeout_ms=1000 "
        "unique=true\n");
  json params = broker.last_params("schedule.add");
  CHECK(params["name"] == "tick");
  CHECK(params["interval_ms"] == 200);
  CHECK_FALSE(params.contains("cron"));
  CHECK(params["task"] == json{{"function", "echo"},
                               {"params", {"tick", 5}},
                               {"queue", "reports"},
                               {"priority", 5},
                               {"max_retries", 2},
                               {"timeout_ms", 1000},
                               {"unique", true},
                               {"result_ttl_ms", 60000}});

  auto nightly = zt(broker, {"schedule", "add", "nightly", "--cron", "0 3 * * *", "report", "--json"});
  CHECK(nightly.exit_code == 0);
  CHECK(json::parse(nightly.output, nullptr, false) ==
        json{{"name", "nightly"},
             {"cron", "0 3 * * *"},
             {"task", {{"function", "report"}, {"params", json::array()}}},
             {"next_run_at", FakeBroker::kFakeNextRunAt}});
}

TEST_CASE("zt schedule add refuses what a schedule cannot take with exit code 2 and sends nothing" *
          doctest::timeout(60)) {
  FakeBroker broker;
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused{
      {{"--after", kFirst}, "zt: --after cannot be given in a schedule: its tasks depend on no other task\n"},
      {{"--countdown-ms", "500"},
       "zt: --countdown-ms cannot be given in a schedule: --cron or --every-ms says when its tasks are made\n"},
      {{"--eta-ms", "1795437582123"},
       "zt: --eta-ms cannot be given in a schedule: --cron or --every-ms says when its tasks are made\n"},
      {{"--key", "k"},
       "zt: --key cannot be given in a schedule: each run makes a new task (--unique keeps slow runs from piling "
       "up)\n"},
  };
  for (const auto& [options, message] : refused) {
    std::vector<std::string> args{"schedule", "add", "tick", "--every-ms", "200", "echo"};
    args.insert(args.end(), options.begin(), options.end());
    const std::string& refused_option = options.front();
    CAPTURE(refused_option);
    auto result = zt(broker, args);
    CHECK(result.exit_code == 2);
    CHECK(result.output == message);
  }
  auto no_when = zt(broker, {"schedule", "add", "tick", "echo"});
  CHECK(no_when.exit_code == 2);
  CHECK(no_when.output == "zt: give --cron or --every-ms, exactly one\n");
  CHECK(zt(broker, {"schedule", "add", "tick", "--every-ms", "99", "echo"}).exit_code == 2);
  CHECK(zt(broker, {"schedule"}).exit_code == 2);
  CHECK(broker.requests("schedule.add") == 0);
}

TEST_CASE("zt schedule list shows each schedule and remove of an unknown name exits 5" * doctest::timeout(60)) {
  FakeBroker broker;
  CHECK(zt(broker, {"schedule", "list"}).output == "no schedules\n");
  REQUIRE(zt(broker, {"schedule", "add", "tick", "--every-ms", "200", "echo"}).exit_code == 0);
  REQUIRE(zt(broker, {"schedule", "add", "nightly", "--cron", "@daily", "report"}).exit_code == 0);
  auto listed = zt(broker, {"schedule", "list"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.output ==
        "NAME     WHEN          NEXT RUN                  LAST TASK\n"
        "nightly  cron @daily   2026-11-24T03:00:00.000Z  -\n"
        "tick     every 200 ms  2026-11-24T03:00:00.000Z  -\n");
  auto raw = zt(broker, {"schedule", "list", "--json"});
  CHECK(json::parse(raw.output, nullptr, false)["schedules"].size() == 2);

  auto removed = zt(broker, {"schedule", "remove", "tick"});
  CHECK(removed.exit_code == 0);
  CHECK(removed.output == "removed schedule tick (every 200 ms)\n");
  CHECK(broker.last_params("schedule.remove") == json{{"name", "tick"}});
  auto unknown = zt(broker, {"schedule", "remove", "tick"});
  CHECK(unknown.exit_code == 5);
  CHECK(unknown.output == "zt: no schedule tick\n");
  CHECK(contains(zt(broker, {"schedule", "list"}).output, "nightly"));
}

TEST_CASE("zt limits set, list and remove a function's limits" * doctest::timeout(60)) {
  FakeBroker broker;
  auto rate = zt(broker, {"limits", "set", "resize", "--rate", "10", "--burst", "2"});
  CHECK(rate.exit_code == 0);
  CHECK(rate.output == "resize: rate 10/s, burst 2\n");
  CHECK(broker.last_params("limits.set") == json{{"function", "resize"}, {"rate_per_s", 10.0}, {"burst", 2}});
  auto concurrency = zt(broker, {"limits", "set", "upload", "--concurrency", "1", "--json"});
  CHECK(concurrency.exit_code == 0);
  CHECK(json::parse(concurrency.output, nullptr, false) == json{{"function", "upload"}, {"concurrency", 1}});

  auto listed = zt(broker, {"limits", "list"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.output ==
        "FUNCTION  RATE  BURST  CONCURRENCY\n"
        "resize    10/s  2      -\n"
        "upload    -     -      1\n");

  auto removed = zt(broker, {"limits", "remove", "resize"});
  CHECK(removed.exit_code == 0);
  CHECK(removed.output == "removed the limits on resize (rate 10/s, burst 2)\n");
  auto unknown = zt(broker, {"limits", "remove", "resize"});
  CHECK(unknown.exit_code == 5);
  CHECK(unknown.output == "zt: no limits on resize\n");
  CHECK(json::parse(zt(broker, {"limits", "list", "--json"}).output, nullptr, false) ==
        json{{"limits", {{{"function", "upload"}, {"concurrency", 1}}}}});
}

TEST_CASE("zt limits set without --rate or --concurrency is a usage error that sends nothing" * doctest::timeout(60)) {
  FakeBroker broker;
  auto none = zt(broker, {"limits", "set", "resize"});
  CHECK(none.exit_code == 2);
  CHECK(none.output == "zt: give --rate, --concurrency or both\n");
  auto burst = zt(broker, {"limits", "set", "resize", "--burst", "3", "--concurrency", "1"});
  CHECK(burst.exit_code == 2);
  CHECK(burst.output == "zt: --burst needs --rate\n");
  CHECK(zt(broker, {"limits", "set", "resize", "--concurrency", "0"}).exit_code == 2);
  CHECK(zt(broker, {"limits", "set", "resize", "--rate", "0"}).exit_code == 2);
  CHECK(broker.requests("limits.set") == 0);
}

TEST_CASE("zt emit sends the event and its data and prints the ids of the tasks made" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.on_event("upload:photos/cat.jpg", "resize");
  auto made = zt(broker, {"emit", "upload:photos/cat.jpg", R"({"size": 2048})"});
  CHECK(made.exit_code == 0);
  std::vector<std::string> ids = broker.tasks_of("resize");
  REQUIRE(ids.size() == 1);
  CHECK(made.output == ids[0] + "\n");
  CHECK(broker.last_params("event.emit") == json{{"event", "upload:photos/cat.jpg"}, {"data", {{"size", 2048}}}});
  CHECK(broker.task(ids[0])["params"] == json::array({{{"size", 2048}}}));

  auto raw = zt(broker, {"emit", "upload:photos/cat.jpg", "--json"});
  CHECK(raw.exit_code == 0);
  CHECK(json::parse(raw.output, nullptr, false) == json{{"tasks", {broker.tasks_of("resize").at(1)}}});
  CHECK(broker.last_params("event.emit") == json{{"event", "upload:photos/cat.jpg"}});

  auto unmatched = zt(broker, {"emit", "download:x"});
  CHECK(unmatched.exit_code == 0);
  CHECK(unmatched.output == "");
  auto not_json = zt(broker, {"emit", "build", "main"});
  CHECK(not_json.exit_code == 2);
  CHECK(not_json.output == "zt: DATA is not valid JSON: main (quote a string: '\"text\"')\n");
  CHECK(broker.requests("event.emit") == 3);
}

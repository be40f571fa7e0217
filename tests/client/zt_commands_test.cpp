// The zt executable against a fake broker: what its task options and workflows
// send, what it prints, and its exit codes.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <string>
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

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

json echo(const json& params) {
  return params;
}

}  // namespace

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

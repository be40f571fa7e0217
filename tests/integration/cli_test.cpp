#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "system_fixture.hpp"
#include "zerotask/cpu_affinity.hpp"

using namespace zerotask::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// The JSON zt printed with --json; a discarded value when it is not JSON.
json parsed(const CommandResult& result) {
  return json::parse(result.output, nullptr, false);
}

}  // namespace

TEST_CASE("zt call add 5 6 prints 11 through a real broker and node" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  auto result = system.zt({"call", "add", "5", "6"});
  CHECK(result.exit_code == 0);
  CHECK(result.output == "11\n");
}

TEST_CASE("zt call of a failing function exits 1 and prints the function's message" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  auto result = system.zt({"call", "fail", "\"boom\""});
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "boom"));
}

TEST_CASE("zt submit, status and wait follow one task to its result" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  auto submitted = system.zt({"submit", "multiply", "6", "7"});
  REQUIRE(submitted.exit_code == 0);
  std::string id = first_line(submitted.output);
  CHECK(id.size() == 16);
  auto waited = system.zt({"wait", id});
  CHECK(waited.exit_code == 0);
  CHECK(waited.output == "42\n");
  auto status = system.zt({"status", id, "--json"});
  CHECK(status.exit_code == 0);
  CHECK(contains(status.output, "SUCCEEDED"));
}

TEST_CASE("zt watch shows live progress of a counting task until it ends" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  auto submitted = system.zt({"submit", "count", "5", "100"});
  REQUIRE(submitted.exit_code == 0);
  auto watched = system.zt({"watch", first_line(submitted.output)});
  CHECK(watched.exit_code == 0);
  CHECK(contains(watched.output, "5/5"));
  CHECK(contains(watched.output, "SUCCEEDED"));
}

TEST_CASE("zt stats, nodes and functions describe the running system" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n-described");
  auto nodes = system.zt({"nodes"});
  CHECK(nodes.exit_code == 0);
  CHECK(contains(nodes.output, "n-described"));
  auto functions = system.zt({"functions"});
  CHECK(functions.exit_code == 0);
  CHECK(contains(functions.output, "add"));
  auto stats = system.zt({"stats", "--json"});
  CHECK(stats.exit_code == 0);
  CHECK(contains(stats.output, "\"nodes\":1"));
}

TEST_CASE("a call of a function no node serves ends with an error that says so" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  auto timed_out = system.zt({"call", "resize", "1", "--timeout", "1000"});
  CHECK(timed_out.exit_code == 4);
  CHECK(contains(timed_out.output, "no node serves 'resize'"));
  auto fail_fast = system.zt({"call", "resize", "1", "--require-node"});
  CHECK(fail_fast.exit_code == 5);
  CHECK(contains(fail_fast.output, "no node serves 'resize'"));
}

TEST_CASE("zt exits with distinct codes for an unknown task, bad usage and an unreachable broker" *
          doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  auto unknown = system.zt({"status", "00000000000000ff"});
  CHECK(unknown.exit_code == 5);
  CHECK(contains(unknown.output, "00000000000000ff"));
  auto usage = system.zt({"frobnicate"});
  CHECK(usage.exit_code == 2);
  auto bad_json = system.zt({"call", "add", "--params", "{not json"});
  CHECK(bad_json.exit_code == 2);
  for (const char* option : {"--queue", "--key"}) {
    auto empty = system.zt({"submit", "add", "1", "2", option, ""});
    CHECK(empty.exit_code == 2);
    CHECK(contains(empty.output, "must not be empty"));
  }
  auto unreachable = run_command(bin_dir() + "/zt", {"ping", "--broker", free_tcp_endpoint()});
  CHECK(unreachable.exit_code == 3);
  CHECK(contains(unreachable.output, "cannot reach the broker"));
  // A --timeout shorter than the wait for a connection still says why nothing came.
  auto unreachable_in_time =
      run_command(bin_dir() + "/zt", {"ping", "--timeout", "500", "--broker", free_tcp_endpoint()});
  CHECK(unreachable_in_time.exit_code == 3);
  CHECK(contains(unreachable_in_time.output, "cannot reach the broker"));
  CHECK(contains(unreachable_in_time.output, "within 500 ms"));
}

// zt-bench's own are checked by bench_tests (it is not built for the sanitizer runs).
TEST_CASE("every executable answers -h and --version" * doctest::timeout(60)) {
  for (std::string program : {"broker", "node", "zt"}) {
    CAPTURE(program);
    auto help = run_command(bin_dir() + "/" + program, {"-h"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.output, "--version"));
    auto version = run_command(bin_dir() + "/" + program, {"--version"});
    CHECK(version.exit_code == 0);
    CHECK(contains(version.output, "0.1.0"));
  }
}

TEST_CASE("a broker that may run on one CPU only does not busy-poll, and says so" * doctest::timeout(60)) {
  if (!std::filesystem::exists("/usr/bin/taskset") || !std::filesystem::exists("/usr/bin/timeout")) {
    MESSAGE("no /usr/bin/taskset or /usr/bin/timeout: not checked");
    return;
  }
  const std::string off = "busy polling off: the broker may run on one CPU only";
  // `timeout` stops the broker with SIGTERM after a second; it logs at start.
  auto broker = [](std::vector<std::string> prefix) {
    std::vector<std::string> args = {"-s", "TERM", "1"};
    args.insert(args.end(), prefix.begin(), prefix.end());
    args.insert(args.end(),
                {bin_dir() + "/broker", "--endpoint", free_tcp_endpoint(), "--store", "memory", "--log-level", "info"});
    return run_command("/usr/bin/timeout", args, 20s);
  };
  std::vector<int> cpus = zerotask::allowed_cpus();
  auto pinned = broker({"/usr/bin/taskset", "-c", std::to_string(cpus.front())});
  INFO(pinned.output);
  CHECK(contains(pinned.output, "serving requests on"));
  CHECK(contains(pinned.output, off));
  if (cpus.size() > 1) {
    auto free = broker({});
    INFO(free.output);
    CHECK(contains(free.output, "serving requests on"));
    CHECK_FALSE(contains(free.output, off));
  }
}

TEST_CASE("zt retry queues a failed task again, which then runs on a node" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  auto submitted = system.zt({"submit", "fail", "\"boom\"", "--max-retries", "0"});
  REQUIRE(submitted.exit_code == 0);
  std::string id = first_line(submitted.output);
  CHECK(system.zt({"wait", id}).exit_code == 1);
  auto dead = system.zt({"list", "--state", "FAILED", "--json"});
  CHECK(contains(dead.output, id));
  auto retried = system.zt({"retry", id});
  CHECK(retried.exit_code == 0);
  auto again = system.zt({"wait", id, "--json"});
  CHECK(again.exit_code == 1);
  CHECK(contains(again.output, "boom"));
  auto task = system.peer->call("task.get", {{"id", id}})["result"];
  CHECK(task["attempt"] == 2);
  CHECK(system.zt({"retry", "0000000000000001"}).exit_code == 5);
}

TEST_CASE("zt exits 6 when the broker is overloaded" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker({"--max-queued", "1"});
  CHECK(system.zt({"submit", "nobody-serves-this"}).exit_code == 0);
  auto refused = system.zt({"submit", "nobody-serves-this"});
  CHECK(refused.exit_code == 6);
  CHECK(contains(refused.output, "--max-queued"));
}

TEST_CASE("zt schedule add makes a task every --every-ms until zt schedule remove" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  auto added = system.zt({"schedule", "add", "tick", "--every-ms", "200", "echo", "tick"});
  REQUIRE(added.exit_code == 0);
  // "next run  2026-11-22T21:35:47.481Z": an ISO-8601 UTC time, 24 characters.
  const std::string head = "schedule  tick\nwhen      every 200 ms\nnext run  ";
  const std::string tail = "\ntask      echo [\"tick\"]\n";
  REQUIRE(added.output.size() == head.size() + 24 + tail.size());
  CHECK(added.output.starts_with(head));
  CHECK(added.output.ends_with(tail));
  const std::string when = added.output.substr(head.size(), 24);
  CHECK(when[4] == '-');
  CHECK(when[10] == 'T');
  CHECK(when[19] == '.');
  CHECK(when.back() == 'Z');
  REQUIRE(wait_until([&] { return system.task_count("echo") >= 2; }, 10s));

  json schedules = parsed(system.zt({"schedule", "list", "--json"}))["schedules"];
  REQUIRE(schedules.size() == 1);
  CHECK(schedules[0]["interval_ms"] == 200);
  std::string last_task = schedules[0].value("last_task", "");
  CHECK(system.zt({"wait", last_task, "--timeout", "10000"}).output == "tick\n");
  auto listed = system.zt({"schedule", "list"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.output.starts_with("NAME  WHEN          NEXT RUN                  LAST TASK\ntick  every 200 ms  "));

  auto removed = system.zt({"schedule", "remove", "tick"});
  CHECK(removed.exit_code == 0);
  CHECK(removed.output == "removed schedule tick (every 200 ms)\n");
  int made = system.task_count("echo");
  REQUIRE(made >= 0);
  std::this_thread::sleep_for(600ms);  // three intervals: a schedule still there would make tasks
  CHECK(system.task_count("echo") == made);
  CHECK(system.zt({"schedule", "list"}).output == "no schedules\n");
  auto unknown = system.zt({"schedule", "remove", "tick"});
  CHECK(unknown.exit_code == 5);
  CHECK(unknown.output == "zt: no schedule tick\n");
}

TEST_CASE("zt limits set holds a function's tasks back, and list and remove show and drop its limits" *
          doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1", 2);
  auto rate = system.zt({"limits", "set", "echo", "--rate", "10", "--burst", "2"});
  CHECK(rate.exit_code == 0);
  CHECK(rate.output == "echo: rate 10/s, burst 2\n");
  auto concurrency = system.zt({"limits", "set", "sleep", "--concurrency", "1"});
  CHECK(concurrency.exit_code == 0);
  CHECK(concurrency.output == "sleep: concurrency 1\n");

  REQUIRE(system.zt({"submit", "sleep", "500"}).exit_code == 0);
  std::string second = first_line(system.zt({"submit", "sleep", "500"}).output);
  auto held = system.zt({"status", second});
  CHECK(held.output.starts_with("QUEUED (held: concurrency limit"));  // the first sleeps for 500 ms
  CHECK(system.zt({"wait", second, "--timeout", "10000"}).exit_code == 0);

  auto listed = system.zt({"limits", "list"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.output ==
        "FUNCTION  RATE  BURST  CONCURRENCY\n"
        "echo      10/s  2      -\n"
        "sleep     -     -      1\n");
  auto removed = system.zt({"limits", "remove", "echo"});
  CHECK(removed.exit_code == 0);
  CHECK(removed.output == "removed the limits on echo (rate 10/s, burst 2)\n");
  CHECK(parsed(system.zt({"limits", "list", "--json"})) ==
        json{{"limits", {{{"function", "sleep"}, {"concurrency", 1}}}}});
  auto unknown = system.zt({"limits", "remove", "echo"});
  CHECK(unknown.exit_code == 5);
  CHECK(unknown.output == "zt: no limits on echo\n");
  CHECK(system.zt({"limits", "set", "echo"}).exit_code == 2);
}

TEST_CASE("zt emit runs the broker's rules on an event and prints the ids of the tasks they made" *
          doctest::timeout(60)) {
  TempDir dir;
  std::ofstream(dir.file("rules.json")) << R"({"rules": [
    {"name": "resize-uploads", "event": "^upload:(?<bucket>[a-z]+)/(?<file>.+)$",
     "make": {"function": "echo", "params": ["${bucket}", "${file}", "${data.size}"]}}]})";
  SystemFixture system;
  system.start_broker({"--rules", dir.file("rules.json")});
  system.start_node("n1");
  auto made = system.zt({"emit", "upload:photos/cat.jpg", R"({"size": 2048})"});
  REQUIRE(made.exit_code == 0);
  std::string id = first_line(made.output);
  CHECK(id.size() == 16);
  CHECK(made.output == id + "\n");
  CHECK(system.zt({"wait", id, "--json", "--timeout", "10000"}).output == "[\"photos\",\"cat.jpg\",2048]\n");

  auto unmatched = system.zt({"emit", "download:photos/cat.jpg", "--json"});
  CHECK(unmatched.exit_code == 0);
  CHECK(parsed(unmatched) == json{{"tasks", json::array()}});
  CHECK(system.zt({"emit", "upload:photos/dog.jpg", "not json"}).exit_code == 2);
}

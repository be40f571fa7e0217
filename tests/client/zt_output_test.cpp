// How zt shows results, tasks and errors to a person.
#include <doctest/doctest.h>

#include <sstream>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"

using zerotask::json;

TEST_CASE("results print strings as text and other values as JSON" * doctest::timeout(30)) {
  CHECK(zerotask::zt::format_value(11) == "11");
  CHECK(zerotask::zt::format_value("hello") == "hello");
  CHECK(zerotask::zt::format_value(nullptr) == "null");
  CHECK(zerotask::zt::format_value(json::array()) == "[]");
  CHECK(zerotask::zt::format_value(json::array({1, 2})) == "[\n  1,\n  2\n]");
}

TEST_CASE("progress with current and total prints as a fraction" * doctest::timeout(30)) {
  CHECK(zerotask::zt::format_progress({{"current", 3}, {"total", 10}}) == "3/10");
  CHECK(zerotask::zt::format_progress("halfway") == "halfway");
  CHECK(zerotask::zt::format_progress(0.5) == "0.5");
  CHECK(zerotask::zt::format_progress({{"step", "copy"}}) == "{\"step\":\"copy\"}");
}

TEST_CASE("progress with done and total shows a bar, the count and the message" * doctest::timeout(30)) {
  CHECK(zerotask::zt::format_progress({{"done", 45}, {"total", 100}, {"message", "copying"}}) ==
        "[#########...........] 45/100 copying");
  CHECK(zerotask::zt::format_progress({{"done", 0}, {"total", 3}}) == "[....................] 0/3");
  CHECK(zerotask::zt::format_progress({{"done", 5}, {"total", 4}}) == "[####################] 5/4");
  CHECK(zerotask::zt::format_progress({{"done", 1}, {"total", 0}}) == "[....................] 1/0");
  CHECK(zerotask::zt::format_progress({{"done", 1}, {"total", "many"}}) == "{\"done\":1,\"total\":\"many\"}");
}

TEST_CASE("a partial result line shows its index, strings as text and other values as JSON" * doctest::timeout(30)) {
  CHECK(zerotask::zt::partial_line(0, "row one") == "partial 0: row one");
  CHECK(zerotask::zt::partial_line(12, {{"rows", {1, 2}}}) == "partial 12: {\"rows\":[1,2]}");
}

TEST_CASE("a task line shows the state with progress, node or error" * doctest::timeout(30)) {
  CHECK(zerotask::zt::task_line({{"state", "QUEUED"}}) == "QUEUED");
  CHECK(zerotask::zt::task_line({{"state", "RUNNING"}, {"node", "n1"}}) == "RUNNING on n1");
  CHECK(zerotask::zt::task_line(
            {{"state", "RUNNING"}, {"node", "n1"}, {"progress", {{"current", 3}, {"total", 10}}}}) == "RUNNING 3/10");
  CHECK(zerotask::zt::task_line(
            {{"state", "FAILED"}, {"error", {{"code", -32000}, {"message", "boom"}, {"data", {{"type", "E"}}}}}}) ==
        "FAILED: boom (E)");
  CHECK(zerotask::zt::task_line(json::object()) == "-");
  CHECK(zerotask::zt::task_line({{"state", "RUNNING"}, {"node", "n1"}, {"cancel_requested", true}}) ==
        "RUNNING on n1 (cancel requested)");
  CHECK(zerotask::zt::task_line({{"state", "PENDING"}, {"waiting_for", 2}}) == "PENDING (waiting for 2 dependencies)");
  CHECK(zerotask::zt::task_line({{"state", "PENDING"}, {"waiting_for", 1}}) == "PENDING (waiting for 1 dependency)");
  CHECK(zerotask::zt::task_line({{"state", "PENDING"}, {"run_at", 1795437582123}}) == "PENDING");
  CHECK(zerotask::zt::format_status({{"state", "SUCCEEDED"}, {"result", 11}}) == "SUCCEEDED\n11\n");
}

TEST_CASE("the status of a held task says what holds it back" * doctest::timeout(30)) {
  CHECK(zerotask::zt::format_status({{"state", "QUEUED"}, {"held", "rate limit: 10 task(s) of resize a second"}}) ==
        "QUEUED (held: rate limit: 10 task(s) of resize a second)\n");
  CHECK(zerotask::zt::format_status({{"state", "QUEUED"}}) == "QUEUED\n");
}

TEST_CASE("tables of nodes, functions and tasks survive missing fields" * doctest::timeout(30)) {
  json nodes = {
      {"nodes", {{{"name", "n1"}, {"functions", {"add", "echo"}}, {"slots", 4}, {"running", 1}, {"idle_ms", 120}}}}};
  CHECK(zerotask::zt::format_nodes(nodes) ==
        "NODE  SLOTS  RUNNING  IDLE   FUNCTIONS\n"
        "n1    4      1        120ms  add,echo\n");
  CHECK(zerotask::zt::format_nodes({{"nodes", json::array()}}) == "no nodes\n");
  CHECK(zerotask::zt::format_functions({{"functions", {{{"name", "add"}}}}}) ==
        "FUNCTION  NODES  QUEUED  RUNNING\n"
        "add       -      -       -\n");
  CHECK(zerotask::zt::format_list({{"tasks", json::array()}, {"total", 0}}) == "0 of 0 tasks\n");
  CHECK(zerotask::zt::format_stats(42).find("submitted") != std::string::npos);
  json stats = {{"epoch", "e"},  {"version", "0.1.0"}, {"uptime_ms", 1000}, {"store", "sqlite"},
                {"store_ok", false}, {"tasks", json::object()}, {"submitted", 5}, {"retried", 2},
                {"stale_results", 1}, {"nodes", 0}, {"slots", 0}, {"running", 0}};
  std::string text = zerotask::zt::format_stats(stats);
  CHECK(text.find("STORE CANNOT WRITE") != std::string::npos);
  CHECK(text.find("submitted  5 (retried 2, stale results refused 1)") != std::string::npos);
}

TEST_CASE("errors are described for people" * doctest::timeout(30)) {
  CHECK(zerotask::zt::describe_error(
            zerotask::TaskFailed(-32000, "boom", {{"type", "std::runtime_error"}, {"task", "0000d1f5c2a40001"}})) ==
        "task 0000d1f5c2a40001 failed: boom (std::runtime_error)");
  CHECK(zerotask::zt::describe_error(zerotask::Cancelled(-32002, "cancelled", {{"task", "0000d1f5c2a40001"}})) ==
        "task 0000d1f5c2a40001 was cancelled");
  CHECK(zerotask::zt::describe_error(zerotask::Cancelled(
            -32002, "cancelled",
            {{"task", "0000d1f5c2a40002"}, {"dependency", "0000d1f5c2a40001"}, {"dependency_state", "FAILED"}})) ==
        "task 0000d1f5c2a40002 was cancelled: its dependency 0000d1f5c2a40001 ended FAILED");
  CHECK(zerotask::zt::describe_error(zerotask::ProtocolError(-32006, "no node serves 'x'")) ==
        "no node serves 'x' (no_node)");
  CHECK(zerotask::zt::describe_error(zerotask::ProtocolError(-32004, "no task 00000000000000ff")) ==
        "no task 00000000000000ff");
}

TEST_CASE("each kind of failure has its own exit code" * doctest::timeout(30)) {
  std::ostringstream err;
  auto code_of = [&err](auto exception) { return zerotask::zt::run_guarded([&]() -> int { throw exception; }, err); };
  CHECK(code_of(zerotask::TaskFailed(-32000, "boom")) == zerotask::zt::kTaskFailed);
  CHECK(code_of(zerotask::Cancelled(-32002, "cancelled")) == zerotask::zt::kTaskFailed);
  CHECK(code_of(zerotask::zt::UsageError("bad")) == zerotask::zt::kUsage);
  CHECK(code_of(zerotask::BrokerUnreachable(0, "cannot reach the broker at tcp://127.0.0.1:1")) ==
        zerotask::zt::kUnreachable);
  CHECK(code_of(zerotask::TimedOut(-32001, "slow")) == zerotask::zt::kTimedOut);
  CHECK(code_of(zerotask::ProtocolError(-32004, "no task 00000000000000ff")) == zerotask::zt::kRefused);
  CHECK(err.str().find("zt: cannot reach the broker at tcp://127.0.0.1:1\n") != std::string::npos);
  CHECK(zerotask::zt::run_guarded([] { return 0; }, err) == zerotask::zt::kOk);
}

TEST_CASE("times print as ISO-8601 UTC with milliseconds" * doctest::timeout(30)) {
  CHECK(zerotask::zt::format_utc_time(0) == "1970-01-01T00:00:00.000Z");
  CHECK(zerotask::zt::format_utc_time(1795489200000) == "2026-11-24T03:00:00.000Z");
  CHECK(zerotask::zt::format_utc_time(951782400123) == "2000-02-29T00:00:00.123Z");
  CHECK(zerotask::zt::format_utc_time(nullptr) == "-");
  CHECK(zerotask::zt::format_utc_time("soon") == "-");
}

TEST_CASE("a schedule prints its name, when it comes due, its next run and its task" * doctest::timeout(30)) {
  json every = {{"name", "tick"},
                {"interval_ms", 200},
                {"next_run_at", 1795489200000},
                {"task", {{"function", "echo"}, {"params", {"tick"}}, {"queue", "reports"}, {"unique", true}}}};
  CHECK(zerotask::zt::format_schedule(every) ==
        "schedule  tick\n"
        "when      every 200 ms\n"
        "next run  2026-11-24T03:00:00.000Z\n"
        "task      echo [\"tick\"] queue=reports unique=true\n");
  json nightly = {{"name", "nightly"}, {"cron", "0 3 * * *"}, {"task", {{"function", "report"}}}};
  CHECK(zerotask::zt::format_schedule(nightly) ==
        "schedule  nightly\n"
        "when      cron 0 3 * * *\n"
        "next run  -\n"
        "task      report\n");
  CHECK(zerotask::zt::format_removed_schedule(every) == "removed schedule tick (every 200 ms)\n");
}

TEST_CASE("the schedule list shows a line per schedule with its last task" * doctest::timeout(30)) {
  json answer = {{"schedules",
                  {{{"name", "nightly"}, {"cron", "@daily"}, {"next_run_at", 1795489200000}},
                   {{"name", "tick"},
                    {"interval_ms", 200},
                    {"next_run_at", 0},
                    {"last_run_at", 0},
                    {"last_task", "0000d1f5c2a40001"}}}}};
  CHECK(zerotask::zt::format_schedules(answer) ==
        "NAME     WHEN          NEXT RUN                  LAST TASK\n"
        "nightly  cron @daily   2026-11-24T03:00:00.000Z  -\n"
        "tick     every 200 ms  1970-01-01T00:00:00.000Z  0000d1f5c2a40001\n");
  CHECK(zerotask::zt::format_schedules({{"schedules", json::array()}}) == "no schedules\n");
}

TEST_CASE("limits print as a line naming only the limits set, and list as a table" * doctest::timeout(30)) {
  json rate = {{"function", "resize"}, {"rate_per_s", 10.0}, {"burst", 10}};
  json both = {{"function", "sleep"}, {"rate_per_s", 0.5}, {"burst", 1}, {"concurrency", 4}};
  json concurrency = {{"function", "upload"}, {"concurrency", 1}};
  CHECK(zerotask::zt::format_limits(rate) == "resize: rate 10/s, burst 10\n");
  CHECK(zerotask::zt::format_limits(both) == "sleep: rate 0.5/s, burst 1, concurrency 4\n");
  CHECK(zerotask::zt::format_limits(concurrency) == "upload: concurrency 1\n");
  CHECK(zerotask::zt::format_removed_limits(concurrency) == "removed the limits on upload (concurrency 1)\n");
  CHECK(zerotask::zt::format_limits_list({{"limits", {rate, both, concurrency}}}) ==
        "FUNCTION  RATE   BURST  CONCURRENCY\n"
        "resize    10/s   10     -\n"
        "sleep     0.5/s  1      4\n"
        "upload    -      -      1\n");
  CHECK(zerotask::zt::format_limits_list({{"limits", json::array()}}) == "no limits\n");
}

TEST_CASE("the tasks an event made print as their ids, one a line" * doctest::timeout(30)) {
  CHECK(zerotask::zt::format_made_tasks({{"tasks", {"0000d1f5c2a40001", "0000d1f5c2a40002"}}}) ==
        "0000d1f5c2a40001\n0000d1f5c2a40002\n");
  CHECK(zerotask::zt::format_made_tasks({{"tasks", json::array()}}) == "");
}

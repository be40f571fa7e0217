// What `zt top` makes of the broker's answers: throughput between two
// broker.stats answers, the snapshot, and its text.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "top_view.hpp"

using namespace std::chrono_literals;
using zerotask::json;
using zerotask::zt::TopAnswers;

namespace {

json stats(const std::string& epoch, int submitted, int pending, int queued, int running) {
  return {{"epoch", epoch},
          {"version", "0.1.0"},
          {"uptime_ms", 90000},
          {"store", "memory"},
          {"store_ok", true},
          {"tasks",
           {{"PENDING", pending},
            {"QUEUED", queued},
            {"RUNNING", running},
            {"SUCCEEDED", 7},
            {"FAILED", 1},
            {"CANCELLED", 0}}},
          {"submitted", submitted}};
}

json task(const std::string& id, const std::string& function, const std::string& queue, std::int64_t created_at,
          const std::string& node = "") {
  json object = {{"id", id}, {"function", function}, {"queue", queue}, {"created_at", created_at}};
  if (!node.empty()) object["node"] = node;
  return object;
}

TopAnswers answers() {
  TopAnswers answers;
  answers.stats = stats("e1", 20, 0, 3, 2);
  answers.nodes = {{"nodes",
                    {{{"name", "n1"}, {"functions", {"add", "resize"}}, {"slots", 4}, {"running", 2}, {"idle_ms", 300}},
                     {{"name", "n2"}, {"functions", {"add"}}, {"slots", 1}, {"running", 0}, {"idle_ms", 150000}}}}};
  answers.functions = {{"functions",
                        {{{"name", "add"}, {"nodes", 2}, {"queued", 2}, {"running", 1}},
                         {{"name", "resize"}, {"nodes", 1}, {"queued", 1}, {"running", 1}}}}};
  answers.queued = {
      {"tasks",
       {task("0000000000000001", "add", "default", 1000), task("0000000000000002", "add", "default", 4000),
        task("0000000000000003", "resize", "images", 9000)}},
      {"total", 3}};
  answers.running = {{"tasks",
                      {task("0000000000000004", "add", "default", 500, "n1"),
                       task("0000000000000005", "resize", "images", 600, "n1")}},
                     {"total", 2}};
  answers.now_ms = 10000;
  return answers;
}

}  // namespace

TEST_CASE("throughput counts tasks that left the waiting and running states per second" * doctest::timeout(30)) {
  // 10 submitted in 2 s while the waiting and running tasks grew by 4: 6 completed.
  json rates = zerotask::zt::throughput(stats("e1", 20, 1, 3, 2), stats("e1", 30, 2, 6, 2), 2000ms);
  CHECK(rates == json{{"interval_ms", 2000}, {"submitted_per_s", 5.0}, {"completed_per_s", 3.0}});
  // Nothing submitted, the backlog drained by 4 in half a second.
  rates = zerotask::zt::throughput(stats("e1", 30, 0, 4, 2), stats("e1", 30, 0, 0, 2), 500ms);
  CHECK(rates == json{{"interval_ms", 500}, {"submitted_per_s", 0.0}, {"completed_per_s", 8.0}});
  // A task.retry grows the backlog without a submission: never below 0.
  rates = zerotask::zt::throughput(stats("e1", 30, 0, 0, 0), stats("e1", 30, 0, 1, 0), 1000ms);
  CHECK(rates["completed_per_s"] == 0.0);
}

TEST_CASE("throughput is null across a broker restart, without counts or without time" * doctest::timeout(30)) {
  CHECK(zerotask::zt::throughput(stats("e1", 20, 0, 0, 0), stats("e2", 3, 0, 0, 0), 1000ms).is_null());
  CHECK(zerotask::zt::throughput(stats("e1", 20, 0, 0, 0), stats("e1", 20, 0, 0, 0), 0ms).is_null());
  CHECK(zerotask::zt::throughput(json{{"epoch", "e1"}}, json{{"epoch", "e1"}}, 1000ms).is_null());
  CHECK(zerotask::zt::throughput(42, stats("e1", 20, 0, 0, 0), 1000ms).is_null());
}

TEST_CASE("the top snapshot counts queues and each node's running tasks from the task pages" * doctest::timeout(30)) {
  json rates = {{"interval_ms", 1000}, {"submitted_per_s", 5.0}, {"completed_per_s", 4.0}};
  json snapshot = zerotask::zt::top_snapshot(answers(), rates, "tcp://127.0.0.1:5555");
  CHECK(snapshot["broker"] == json{{"endpoint", "tcp://127.0.0.1:5555"},
                                   {"epoch", "e1"},
                                   {"version", "0.1.0"},
                                   {"uptime_ms", 90000},
                                   {"store", "memory"},
                                   {"store_ok", true}});
  CHECK(snapshot["tasks"]["QUEUED"] == 3);
  CHECK(snapshot["throughput"] == rates);
  CHECK(snapshot["queues"] ==
        json::array(
            {{{"queue", "default"}, {"depth", 2}, {"running", 1}, {"oldest_age_ms", 9000}, {"functions", {{"add", 2}}}},
             {{"queue", "images"},
              {"depth", 1},
              {"running", 1},
              {"oldest_age_ms", 1000},
              {"functions", {{"resize", 1}}}}}));
  CHECK(snapshot["queues_complete"] == true);
  CHECK(snapshot["functions"] == answers().functions["functions"]);
  CHECK(snapshot["nodes"] == json::array({{{"name", "n1"},
                                           {"functions", {"add", "resize"}},
                                           {"queues", {"default", "images"}},
                                           {"running_functions", {{"add", 1}, {"resize", 1}}},
                                           {"slots", 4},
                                           {"running", 2},
                                           {"free", 2},
                                           {"idle_ms", 300}},
                                          {{"name", "n2"},
                                           {"functions", {"add"}},
                                           {"queues", json::array()},
                                           {"running_functions", json::object()},
                                           {"slots", 1},
                                           {"running", 0},
                                           {"free", 1},
                                           {"idle_ms", 150000}}}));
}

TEST_CASE("the top snapshot shows the queues a node serves when the broker reports them" * doctest::timeout(30)) {
  TopAnswers reported = answers();
  reported.nodes["nodes"][1]["queues"] = {"default", "reports"};
  json snapshot = zerotask::zt::top_snapshot(reported, nullptr, "tcp://127.0.0.1:5555");
  CHECK(snapshot["nodes"][0]["queues"] == json{"default", "images"});
  CHECK(snapshot["nodes"][1]["queues"] == json{"default", "reports"});
}

TEST_CASE("the top snapshot says when a task page could not hold every task" * doctest::timeout(30)) {
  TopAnswers partial = answers();
  partial.queued["total"] = 5000;
  json snapshot = zerotask::zt::top_snapshot(partial, nullptr, "e");
  CHECK(snapshot["queues_complete"] == false);
  CHECK(snapshot["throughput"].is_null());
  std::string text = zerotask::zt::format_top(snapshot);
  CHECK(text.find("(counted from the oldest 1000 queued and 1000 running tasks; the tasks line has the totals)\n") !=
        std::string::npos);
  CHECK(text.find("throughput  -\n") != std::string::npos);
}

TEST_CASE("the top snapshot survives answers with missing fields" * doctest::timeout(30)) {
  TopAnswers empty;
  json snapshot = zerotask::zt::top_snapshot(empty, nullptr, "tcp://127.0.0.1:5555");
  CHECK(snapshot["queues"] == json::array());
  CHECK(snapshot["nodes"] == json::array());
  CHECK(snapshot["functions"] == json::array());
  CHECK(snapshot["tasks"] == json::object());
  CHECK(zerotask::zt::format_top(snapshot) ==
        "broker      tcp://127.0.0.1:5555  epoch - (version -, up -, store -)\n"
        "tasks       PENDING -  QUEUED -  RUNNING -  SUCCEEDED -  FAILED -  CANCELLED -\n"
        "throughput  -\n"
        "\n"
        "no queued or running tasks\n"
        "\n"
        "no functions\n"
        "\n"
        "no nodes\n");
}

TEST_CASE("the top text shows the broker, the rates and tables of queues, functions and nodes" * doctest::timeout(30)) {
  json rates = {{"interval_ms", 1000}, {"submitted_per_s", 5.0}, {"completed_per_s", 4.25}};
  json snapshot = zerotask::zt::top_snapshot(answers(), rates, "tcp://127.0.0.1:5555");
  CHECK(zerotask::zt::format_top(snapshot) ==
        "broker      tcp://127.0.0.1:5555  epoch e1 (version 0.1.0, up 90.0s, store memory)\n"
        "tasks       PENDING 0  QUEUED 3  RUNNING 2  SUCCEEDED 7  FAILED 1  CANCELLED 0\n"
        "throughput  4.2 completed/s, 5.0 submitted/s (over 1.0s)\n"
        "\n"
        "QUEUE    QUEUED  RUNNING  OLDEST  FUNCTIONS\n"
        "default  2       1        9.0s    add 2\n"
        "images   1       1        1.0s    resize 1\n"
        "\n"
        "FUNCTION  NODES  QUEUED  RUNNING\n"
        "add       2      2       1\n"
        "resize    1      1       1\n"
        "\n"
        "NODE  QUEUES          USED  FREE  RUNNING          LAST SEEN  FUNCTIONS\n"
        "n1    default,images  2     2     add 1, resize 1  0.3s ago   add,resize\n"
        "n2    -               0     1     -                2.5m ago   add\n");
}

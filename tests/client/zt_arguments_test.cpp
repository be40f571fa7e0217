// How zt turns its command line into JSON params, endpoints and task ids.
#include <doctest/doctest.h>

#include "arguments.hpp"

#include <chrono>
#include <string>

using zerotask::json;
using zerotask::zt::TaskArguments;
using zerotask::zt::UsageError;

TEST_CASE("an argument that parses as JSON is that JSON value" * doctest::timeout(30)) {
  CHECK(zerotask::zt::argument_value("5") == json(5));
  CHECK(zerotask::zt::argument_value("-1.5") == json(-1.5));
  CHECK(zerotask::zt::argument_value("true") == json(true));
  CHECK(zerotask::zt::argument_value("null") == json(nullptr));
  CHECK(zerotask::zt::argument_value("\"quoted\"") == json("quoted"));
  CHECK(zerotask::zt::argument_value("[1,2]") == json::array({1, 2}));
  CHECK(zerotask::zt::argument_value("{\"a\":1}") == json{{"a", 1}});
}

TEST_CASE("an argument that is not JSON is taken as a string" * doctest::timeout(30)) {
  CHECK(zerotask::zt::argument_value("hello") == json("hello"));
  CHECK(zerotask::zt::argument_value("") == json(""));
  CHECK(zerotask::zt::argument_value("{not json") == json("{not json"));
  CHECK(zerotask::zt::argument_value("5 apples") == json("5 apples"));
}

TEST_CASE("an argument nested too deeply is a usage error" * doctest::timeout(30)) {
  CHECK_THROWS_AS(zerotask::zt::argument_value(std::string(100, '[') + std::string(100, ']')), UsageError);
}

TEST_CASE("call params are the arguments as an array, or --params as given" * doctest::timeout(30)) {
  CHECK(zerotask::zt::call_params({"5", "6"}, "") == json::array({5, 6}));
  CHECK(zerotask::zt::call_params({}, "") == json::array());
  CHECK(zerotask::zt::call_params({}, "{\"width\":3}") == json{{"width", 3}});
  CHECK(zerotask::zt::call_params({}, "[1,\"a\"]") == json::array({1, "a"}));
}

TEST_CASE("bad --params are usage errors that say what is wrong" * doctest::timeout(30)) {
  CHECK_THROWS_WITH_AS(zerotask::zt::call_params({}, "{not json"), "--params is not valid JSON: {not json", UsageError);
  CHECK_THROWS_WITH_AS(zerotask::zt::call_params({}, "5"), "--params must be a JSON array or object", UsageError);
  CHECK_THROWS_WITH_AS(zerotask::zt::call_params({"1"}, "[1]"),
                       "give the params either as ARGS or with --params, not both", UsageError);
}

TEST_CASE("the event endpoint defaults to the broker's port plus one" * doctest::timeout(30)) {
  CHECK(zerotask::zt::event_endpoint("tcp://127.0.0.1:5555", "") == "tcp://127.0.0.1:5556");
  CHECK(zerotask::zt::event_endpoint("tcp://127.0.0.1:5555", "tcp://10.0.0.1:7000") == "tcp://10.0.0.1:7000");
  CHECK_THROWS_AS(zerotask::zt::event_endpoint("tcp://127.0.0.1:65535", ""), UsageError);
}

TEST_CASE("task ids must be sixteen lowercase hex digits" * doctest::timeout(30)) {
  CHECK_NOTHROW(zerotask::zt::require_task_id("0000d1f5c2a40001"));
  CHECK_THROWS_WITH_AS(zerotask::zt::require_task_id("xyz"), "'xyz' is not a task id (16 hex digits)", UsageError);
  CHECK_THROWS_AS(zerotask::zt::require_task_id("0000D1F5C2A40001"), UsageError);
}

TEST_CASE("list states are accepted in any case" * doctest::timeout(30)) {
  CHECK(zerotask::zt::state_name("running") == "RUNNING");
  CHECK(zerotask::zt::state_name("QUEUED") == "QUEUED");
  CHECK_THROWS_AS(zerotask::zt::state_name("sleeping"), UsageError);
}

TEST_CASE("task arguments become the submit options they name" * doctest::timeout(30)) {
  TaskArguments task;
  task.require_node = true;
  task.max_retries = 2;
  task.task_timeout_ms = 1500;
  task.idempotency_key = "k";
  task.queue = "images";
  task.priority = 9;
  task.countdown_ms = 250;
  task.after = {"0000d1f5c2a40001,0000d1f5c2a40002", "0000d1f5c2a40003"};
  task.on_dependency_failure = "run";
  task.pass_results = "list";
  task.unique = true;
  task.result_ttl_ms = 60000;
  zerotask::SubmitOptions options = zerotask::zt::submit_options(task);
  CHECK(options.require_node);
  CHECK(options.max_retries == 2);
  CHECK(options.task_timeout == std::chrono::milliseconds(1500));
  CHECK(options.idempotency_key == "k");
  CHECK(options.queue == "images");
  CHECK(options.priority == 9);
  CHECK(options.countdown == std::chrono::milliseconds(250));
  CHECK_FALSE(options.eta.has_value());
  CHECK(options.depends_on == std::vector<std::string>{"0000d1f5c2a40001", "0000d1f5c2a40002", "0000d1f5c2a40003"});
  CHECK(options.on_dependency_failure == zerotask::DependencyFailure::Run);
  CHECK(options.pass_results == zerotask::PassResults::List);
  CHECK(options.unique);
  CHECK(options.result_ttl == std::chrono::milliseconds(60000));

  TaskArguments at;
  at.eta_ms = 1795437582123;
  at.pass_results = "prepend";
  zerotask::SubmitOptions scheduled = zerotask::zt::submit_options(at);
  CHECK(scheduled.eta->time_since_epoch() == std::chrono::milliseconds(1795437582123));
  CHECK(scheduled.pass_results == zerotask::PassResults::Prepend);
  CHECK(scheduled.on_dependency_failure == zerotask::DependencyFailure::Cancel);
  CHECK(scheduled.depends_on.empty());
}

TEST_CASE("task arguments the broker cannot take are usage errors that say why" * doctest::timeout(30)) {
  TaskArguments bad_after;
  bad_after.after = {"0000d1f5c2a40001,"};
  CHECK_THROWS_WITH_AS(zerotask::zt::submit_options(bad_after), "'' is not a task id (16 hex digits)", UsageError);
  TaskArguments bad_policy;
  bad_policy.on_dependency_failure = "retry";
  CHECK_THROWS_WITH_AS(zerotask::zt::submit_options(bad_policy),
                       "--on-dependency-failure is cancel or run, not 'retry'", UsageError);
  TaskArguments bad_pass;
  bad_pass.pass_results = "all";
  CHECK_THROWS_WITH_AS(zerotask::zt::submit_options(bad_pass), "--pass-results is none, prepend or list, not 'all'",
                       UsageError);
  TaskArguments bad_eta;
  bad_eta.eta_ms = -1;
  CHECK_THROWS_AS(zerotask::zt::submit_options(bad_eta), UsageError);
}

TEST_CASE("a workflow step is a function name and its arguments read as zt call reads them" * doctest::timeout(30)) {
  zerotask::TaskSpec add = zerotask::zt::workflow_step("add 1 2");
  CHECK(add.function == "add");
  CHECK(add.params == json::array({1, 2}));
  CHECK(zerotask::zt::workflow_step("  noop  ").params == json::array());
  CHECK(zerotask::zt::workflow_step("echo hello world").params == json::array({"hello", "world"}));
  CHECK(zerotask::zt::workflow_step(R"(echo "hello world" "say \"hi there\"")").params ==
        json::array({"hello world", "say \"hi there\""}));
  CHECK(zerotask::zt::workflow_step(R"(echo [1, 2] {"a": [3, 4]} true)").params ==
        json::array({json::array({1, 2}), json{{"a", {3, 4}}}, true}));
  CHECK(zerotask::zt::workflow_step("echo [1, 2").params == json::array({"[1, 2"}));
  CHECK_THROWS_AS(zerotask::zt::workflow_step("   "), UsageError);
}

TEST_CASE("a schedule's params name it, say when, and hold its task as zt submit would send it" *
          doctest::timeout(30)) {
  zerotask::zt::ScheduleArguments every;
  every.name = "tick";
  every.every_ms = 200;
  TaskArguments task;
  task.function = "echo";
  task.args = {"tick", "5"};
  task.queue = "reports";
  task.priority = 5;
  task.max_retries = 2;
  task.task_timeout_ms = 1000;
  task.unique = true;
  task.result_ttl_ms = 60000;
  CHECK(zerotask::zt::schedule_params(every, task) == json{{"name", "tick"},
                                                           {"interval_ms", 200},
                                                           {"task",
                                                            {{"function", "echo"},
                                                             {"params", {"tick", 5}},
                                                             {"queue", "reports"},
                                                             {"priority", 5},
                                                             {"max_retries", 2},
                                                             {"timeout_ms", 1000},
                                                             {"unique", true},
                                                             {"result_ttl_ms", 60000}}}});

  zerotask::zt::ScheduleArguments nightly;
  nightly.name = "nightly";
  nightly.cron = "0 3 * * *";
  TaskArguments report;
  report.function = "report";
  report.params = R"({"day": "yesterday"})";
  CHECK(zerotask::zt::schedule_params(nightly, report) ==
        json{{"name", "nightly"},
             {"cron", "0 3 * * *"},
             {"task", {{"function", "report"}, {"params", {{"day", "yesterday"}}}}}});
}

TEST_CASE("a schedule needs exactly one of --cron and --every-ms" * doctest::timeout(30)) {
  TaskArguments task;
  task.function = "echo";
  zerotask::zt::ScheduleArguments neither;
  neither.name = "tick";
  CHECK_THROWS_WITH_AS(zerotask::zt::schedule_params(neither, task), "give --cron or --every-ms, exactly one",
                       UsageError);
  zerotask::zt::ScheduleArguments both = neither;
  both.cron = "@hourly";
  both.every_ms = 1000;
  CHECK_THROWS_WITH_AS(zerotask::zt::schedule_params(both, task), "give --cron or --every-ms, exactly one", UsageError);
}

TEST_CASE("task options a schedule cannot take are usage errors that say why" * doctest::timeout(30)) {
  zerotask::zt::ScheduleArguments schedule;
  schedule.name = "tick";
  schedule.every_ms = 1000;
  auto refusal = [&schedule](void (*give)(TaskArguments&)) {
    TaskArguments task;
    task.function = "echo";
    give(task);
    try {
      zerotask::zt::schedule_params(schedule, task);
    } catch (const UsageError& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  CHECK(refusal([](TaskArguments& t) { t.after = {"0000d1f5c2a40001"}; }) ==
        "--after cannot be given in a schedule: its tasks depend on no other task");
  CHECK(refusal([](TaskArguments& t) { t.countdown_ms = 5; }) ==
        "--countdown-ms cannot be given in a schedule: --cron or --every-ms says when its tasks are made");
  CHECK(refusal([](TaskArguments& t) { t.eta_ms = 1795437582123; }) ==
        "--eta-ms cannot be given in a schedule: --cron or --every-ms says when its tasks are made");
  CHECK(refusal([](TaskArguments& t) { t.idempotency_key = "k"; }) ==
        "--key cannot be given in a schedule: each run makes a new task (--unique keeps slow runs from piling up)");
  CHECK(refusal([](TaskArguments& t) { t.require_node = true; }) ==
        "--require-node cannot be given in a schedule: no one waits when its tasks are made");
  CHECK(refusal([](TaskArguments& t) { t.on_dependency_failure = "run"; }) ==
        "--on-dependency-failure cannot be given in a schedule: it goes with --after");
  CHECK(refusal([](TaskArguments& t) { t.pass_results = "list"; }) ==
        "--pass-results cannot be given in a schedule: it goes with --after");
  CHECK(refusal([](TaskArguments& t) { t.params = "{not json"; }) == "--params is not valid JSON: {not json");
  CHECK(refusal([](TaskArguments& t) { t.unique = true; }) == "accepted");
}

TEST_CASE("limits params carry the limits given and need --rate or --concurrency" * doctest::timeout(30)) {
  zerotask::zt::LimitsArguments limits;
  limits.function = "resize";
  limits.rate = 2.5;
  limits.burst = 4;
  limits.concurrency = 3;
  CHECK(zerotask::zt::limits_params(limits) ==
        json{{"function", "resize"}, {"rate_per_s", 2.5}, {"burst", 4}, {"concurrency", 3}});
  zerotask::zt::LimitsArguments only_concurrency;
  only_concurrency.function = "resize";
  only_concurrency.concurrency = 1;
  CHECK(zerotask::zt::limits_params(only_concurrency) == json{{"function", "resize"}, {"concurrency", 1}});

  zerotask::zt::LimitsArguments none;
  none.function = "resize";
  CHECK_THROWS_WITH_AS(zerotask::zt::limits_params(none), "give --rate, --concurrency or both", UsageError);
  zerotask::zt::LimitsArguments burst_alone = none;
  burst_alone.burst = 2;
  CHECK_THROWS_WITH_AS(zerotask::zt::limits_params(burst_alone), "--burst needs --rate", UsageError);
  zerotask::zt::LimitsArguments burst_without_rate = only_concurrency;
  burst_without_rate.burst = 2;
  CHECK_THROWS_WITH_AS(zerotask::zt::limits_params(burst_without_rate), "--burst needs --rate", UsageError);
  zerotask::zt::LimitsArguments zero_rate = none;
  zero_rate.rate = 0;
  CHECK_THROWS_WITH_AS(zerotask::zt::limits_params(zero_rate), "--rate must be above 0", UsageError);
}

TEST_CASE("emit params carry the event and, when given, its data as JSON" * doctest::timeout(30)) {
  CHECK(zerotask::zt::emit_params({"upload:photos/cat.jpg", ""}) == json{{"event", "upload:photos/cat.jpg"}});
  CHECK(zerotask::zt::emit_params({"upload:photos/cat.jpg", R"({"size": 2048})"}) ==
        json{{"event", "upload:photos/cat.jpg"}, {"data", {{"size", 2048}}}});
  CHECK(zerotask::zt::emit_params({"build", R"("main")"}) == json{{"event", "build"}, {"data", "main"}});
  CHECK_THROWS_WITH_AS(zerotask::zt::emit_params({"build", "main"}),
                       R"(DATA is not valid JSON: main (quote a string: '"text"'))", UsageError);
  CHECK_THROWS_AS(zerotask::zt::emit_params({"deep", std::string(100, '[') + std::string(100, ']')}), UsageError);
}

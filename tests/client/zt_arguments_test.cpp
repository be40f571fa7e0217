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

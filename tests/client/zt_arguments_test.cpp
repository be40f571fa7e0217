// How zt turns its command line into JSON params, endpoints and task ids.
#include <doctest/doctest.h>

#include "arguments.hpp"

#include <string>

using zerotask::json;
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

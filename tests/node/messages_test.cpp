// The node's messages: what they look like on the wire, and reading node.run.
#include <doctest/doctest.h>

#include <vector>

#include "messages.hpp"

namespace zerotask::testing {

using namespace node_impl;

TEST_CASE("node.done carries every result in order, with result or error" * doctest::timeout(30)) {
  std::vector<TaskResult> results;
  results.push_back(TaskResult{"0000000000000001", 1, Outcome{11, std::nullopt}});
  results.push_back(
      TaskResult{"0000000000000002", 3, Outcome{nullptr, rpc::Error{rpc::kTaskFailed, "boom", json{{"type", "E"}}}}});
  results.push_back(TaskResult{"0000000000000003", 1, Outcome{json{{"nested", {1, 2}}}, std::nullopt}});
  json done = json::parse(encode_done(results));
  CHECK(done == json{{"jsonrpc", "2.0"},
                     {"method", "node.done"},
                     {"params",
                      {{"results",
                        {{{"id", "0000000000000001"}, {"attempt", 1}, {"result", 11}},
                         {{"id", "0000000000000002"},
                          {"attempt", 3},
                          {"error", {{"code", -32000}, {"message", "boom"}, {"data", {{"type", "E"}}}}}},
                         {{"id", "0000000000000003"}, {"attempt", 1}, {"result", {{"nested", {1, 2}}}}}}}}}});
}

TEST_CASE("node.done escapes a task id that is not plain text and survives invalid UTF-8" * doctest::timeout(30)) {
  std::vector<TaskResult> results;
  results.push_back(TaskResult{"a\"b\\c\n", 1, Outcome{std::string("\xff"), std::nullopt}});
  json done = json::parse(encode_done(results));
  CHECK(done.at("params").at("results").at(0).at("id") == "a\"b\\c\n");
  CHECK(done.at("params").at("results").at(0).at("result").is_string());
}

TEST_CASE("hello, heartbeat, pull, progress and bye look as the protocol says" * doctest::timeout(30)) {
  CHECK(json::parse(encode_hello(7, "n1", {"add", "echo"}, 4)) ==
        json{{"jsonrpc", "2.0"},
             {"id", 7},
             {"method", "node.hello"},
             {"params", {{"node", "n1"}, {"functions", {"add", "echo"}}, {"slots", 4}}}});
  CHECK(json::parse(encode_heartbeat(8)) == json{{"jsonrpc", "2.0"}, {"id", 8}, {"method", "node.heartbeat"}});
  CHECK(json::parse(encode_pull(0)) == json{{"jsonrpc", "2.0"}, {"method", "node.pull"}, {"params", {{"slots", 0}}}});
  CHECK(json::parse(encode_bye()) == json{{"jsonrpc", "2.0"}, {"method", "node.bye"}});
  CHECK(json::parse(encode_progress(ProgressReport{"0000000000000001", 2, json{{"current", 1}}})) ==
        json{{"jsonrpc", "2.0"},
             {"method", "node.progress"},
             {"params", {{"id", "0000000000000001"}, {"attempt", 2}, {"progress", {{"current", 1}}}}}});
}

TEST_CASE("a node.run task is read by moving its fields out" * doctest::timeout(30)) {
  json params = {{"tasks", {{{"id", "0000000000000001"}, {"function", "add"}, {"params", {5, 6}}, {"attempt", 2}}}}};
  json* tasks = run_tasks(params);
  REQUIRE(tasks != nullptr);
  auto task = read_task(tasks->at(0));
  REQUIRE(task);
  CHECK(task->id == "0000000000000001");
  CHECK(task->function == "add");
  CHECK(task->attempt == 2);
  CHECK(task->params == json{5, 6});
  json without_params = {{"id", "x"}, {"function", "noop"}, {"attempt", 1}};
  auto bare = read_task(without_params);
  REQUIRE(bare);
  CHECK(bare->params.is_null());
}

TEST_CASE("a node.run task without a string id, a string function or an int attempt is refused" *
          doctest::timeout(30)) {
  for (json entry : {json(7), json{{"function", "add"}, {"attempt", 1}},
                     json{{"id", 1}, {"function", "add"}, {"attempt", 1}}, json{{"id", "x"}, {"attempt", 1}},
                     json{{"id", "x"}, {"function", "add"}}, json{{"id", "x"}, {"function", "add"}, {"attempt", "1"}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1.5}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1LL << 40}}}) {
    CAPTURE(entry);
    CHECK_FALSE(read_task(entry));
  }
  json no_tasks = {{"other", 1}};
  CHECK(run_tasks(no_tasks) == nullptr);
  json not_array = {{"tasks", "x"}};
  CHECK(run_tasks(not_array) == nullptr);
  json array_params = json::array();
  CHECK(run_tasks(array_params) == nullptr);
}

}  // namespace zerotask::testing

// The node's messages: what they look like on the wire, and reading node.run.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "messages.hpp"
#include "nested_json.hpp"

namespace zerotask::testing {

using namespace node_impl;

namespace {

// One node.done message with default limits: what encode_done makes of a few small
// results.
json encode_one(const std::vector<TaskResult>& results, const SendLimits& limits = {}) {
  std::vector<KeptMessage> messages;
  encode_done(results, limits, messages);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].results == results.size());
  return json::parse(messages[0].text);
}

TaskResult ok(std::string id, json result) {
  return TaskResult{std::move(id), 1, Outcome{std::move(result), std::nullopt}};
}

}  // namespace

TEST_CASE("node.done carries every result in order, with result or error" * doctest::timeout(30)) {
  std::vector<TaskResult> results;
  results.push_back(TaskResult{"0000000000000001", 1, Outcome{11, std::nullopt}});
  results.push_back(
      TaskResult{"0000000000000002", 3, Outcome{nullptr, rpc::Error{rpc::kTaskFailed, "boom", json{{"type", "E"}}}}});
  results.push_back(TaskResult{"0000000000000003", 1, Outcome{json{{"nested", {1, 2}}}, std::nullopt}});
  json done = encode_one(results);
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
  json done = encode_one(results);
  CHECK(done.at("params").at("results").at(0).at("id") == "a\"b\\c\n");
  CHECK(done.at("params").at("results").at(0).at("result").is_string());
}

TEST_CASE("a result nested deeper than the limit becomes a ResultTooDeep error, one at the limit does not" *
          doctest::timeout(30)) {
  std::vector<TaskResult> results;
  results.push_back(ok("0000000000000001", nested_array(56)));
  results.push_back(ok("0000000000000002", nested_array(57)));
  results.push_back(ok("0000000000000003", json{{"deep", nested_array(56)}}));
  std::vector<KeptMessage> messages;
  encode_done(results, SendLimits{56, 1 << 20}, messages);
  REQUIRE(messages.size() == 1);
  // What the broker checks with its default limit of 64: the whole message.
  CHECK_FALSE(rpc::nesting_exceeds(messages[0].text, 64));
  json entries = json::parse(messages[0].text).at("params").at("results");
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].at("result") == nested_array(56));
  CHECK(entries[1] ==
        json{{"id", "0000000000000002"},
             {"attempt", 1},
             {"error",
              {{"code", rpc::kTaskFailed},
               {"message", "result nested deeper than 56 levels"},
               {"data", {{"type", "zerotask::ResultTooDeep"}}}}}});
  CHECK(entries[2].at("error").at("message") == "result nested deeper than 56 levels");
}

TEST_CASE("the depth of a result counts arrays and objects, empty ones too, and any depth is measured" *
          doctest::timeout(30)) {
  CHECK_FALSE(depth_exceeds(json(7), 0));
  CHECK_FALSE(depth_exceeds(json("[[[["), 0));
  CHECK(depth_exceeds(json::array(), 0));
  CHECK_FALSE(depth_exceeds(json::array(), 1));
  CHECK_FALSE(depth_exceeds(json{{"a", {1, 2}}, {"b", 3}}, 2));
  CHECK(depth_exceeds(json{{"a", {1, json::object()}}, {"b", 3}}, 2));
  CHECK_FALSE(depth_exceeds(json{{"a", {1, json::object()}}, {"b", 3}}, 3));
  // Far deeper than any recursion could go.
  json deep = nested_array(200000);
  CHECK(depth_exceeds(deep, 1024));
  CHECK_FALSE(depth_exceeds(deep, 200000));
}

TEST_CASE("results over the message limit are split over several node.done, each within it, each result once" *
          doctest::timeout(30)) {
  std::vector<TaskResult> results;
  for (int i = 0; i < 40; ++i) results.push_back(ok("t" + std::to_string(i), std::string(100, 'x')));
  constexpr std::size_t kLimit = 1000;
  std::vector<KeptMessage> messages;
  encode_done(results, SendLimits{56, kLimit}, messages);
  CHECK(messages.size() > 4);
  std::vector<std::string> ids;
  for (const auto& message : messages) {
    CAPTURE(message.text);
    CHECK(message.text.size() <= kLimit);
    json done = json::parse(message.text);
    CHECK(done.at("method") == "node.done");
    CHECK(done.at("params").at("results").size() == message.results);
    for (const auto& entry : done.at("params").at("results")) {
      ids.push_back(entry.at("id").get<std::string>());
      CHECK(entry.at("result") == std::string(100, 'x'));
    }
  }
  REQUIRE(ids.size() == 40);
  for (int i = 0; i < 40; ++i) CHECK(ids[i] == "t" + std::to_string(i));
}

TEST_CASE("a result too large for a message of its own becomes a ResultTooLarge error" * doctest::timeout(30)) {
  std::vector<TaskResult> results;
  results.push_back(ok("0000000000000001", 1));
  results.push_back(ok("0000000000000002", std::string(1000, 'x')));
  results.push_back(
      TaskResult{"0000000000000003", 2, Outcome{nullptr, rpc::Error{rpc::kTaskFailed, std::string(2000, 'e'), nullptr}}});
  results.push_back(ok("0000000000000004", 4));
  std::vector<KeptMessage> messages;
  encode_done(results, SendLimits{56, 1000}, messages);
  std::vector<json> entries;
  for (const auto& message : messages) {
    CHECK(message.text.size() <= 1000);
    json done = json::parse(message.text);
    for (const auto& entry : done.at("params").at("results")) entries.push_back(entry);
  }
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].at("result") == 1);
  // The serialized string: 1000 characters and its two quotes.
  CHECK(entries[1] == json{{"id", "0000000000000002"},
                           {"attempt", 1},
                           {"error",
                            {{"code", rpc::kTaskFailed},
                             {"message", "result of 1002 bytes exceeds the broker's limit"},
                             {"data", {{"type", "zerotask::ResultTooLarge"}}}}}});
  CHECK(entries[2].at("attempt") == 2);
  CHECK(entries[2].at("error").at("data").at("type") == "zerotask::ResultTooLarge");
  CHECK(entries[3].at("result") == 4);
}

TEST_CASE("no results make no node.done" * doctest::timeout(30)) {
  std::vector<KeptMessage> messages;
  encode_done({}, SendLimits{}, messages);
  CHECK(messages.empty());
}

TEST_CASE("hello, heartbeat, pull, progress and bye look as the protocol says" * doctest::timeout(30)) {
  std::vector<FunctionEntry> functions{{"add", {}}, {"echo", {}}};
  std::vector<std::string> queues{"default", "images"};
  CHECK(json::parse(encode_hello(7, "n1", functions, queues, 4, {})) ==
        json{{"jsonrpc", "2.0"},
             {"id", 7},
             {"method", "node.hello"},
             {"params",
              {{"node", "n1"}, {"functions", {"add", "echo"}}, {"queues", {"default", "images"}}, {"slots", 4}}}});
  CHECK(json::parse(encode_heartbeat(8)) == json{{"jsonrpc", "2.0"}, {"id", 8}, {"method", "node.heartbeat"}});
  CHECK(json::parse(encode_pull(0)) == json{{"jsonrpc", "2.0"}, {"method", "node.pull"}, {"params", {{"slots", 0}}}});
  CHECK(json::parse(encode_bye()) == json{{"jsonrpc", "2.0"}, {"method", "node.bye"}});
  auto progress = encode_progress(ProgressReport{"0000000000000001", 2, json{{"done", 1}}}, SendLimits{});
  REQUIRE(progress);
  CHECK(json::parse(*progress) ==
        json{{"jsonrpc", "2.0"},
             {"method", "node.progress"},
             {"params", {{"id", "0000000000000001"}, {"attempt", 2}, {"progress", {{"done", 1}}}}}});
  auto escaped = encode_progress(ProgressReport{"a\"b", 1, std::string("\xff")}, SendLimits{});
  REQUIRE(escaped);
  CHECK(json::parse(*escaped).at("params").at("id") == "a\"b");
}

TEST_CASE("a partial result goes in node.progress under partial instead of progress" * doctest::timeout(30)) {
  auto partial = encode_progress(ProgressReport{"0000000000000001", 3, json{1, 2}, ReportKind::Partial}, SendLimits{});
  REQUIRE(partial);
  CHECK(json::parse(*partial) == json{{"jsonrpc", "2.0"},
                                      {"method", "node.progress"},
                                      {"params", {{"id", "0000000000000001"}, {"attempt", 3}, {"partial", {1, 2}}}}});
}

TEST_CASE("a progress or partial nested deeper or larger than the limits is not encoded" * doctest::timeout(30)) {
  const SendLimits limits{56, 1000};
  for (auto kind : {ReportKind::Progress, ReportKind::Partial}) {
    CHECK(encode_progress(ProgressReport{"x", 1, nested_array(56), kind}, limits));
    CHECK_FALSE(encode_progress(ProgressReport{"x", 1, nested_array(57), kind}, limits));
    CHECK(encode_progress(ProgressReport{"x", 1, std::string(800, 'x'), kind}, limits));
    CHECK_FALSE(encode_progress(ProgressReport{"x", 1, std::string(1000, 'x'), kind}, limits));
  }
}

TEST_CASE("hello lists a function with options as an object of the options set, and the running tasks" *
          doctest::timeout(30)) {
  std::vector<FunctionEntry> functions(4);
  functions[0].name = "add";
  functions[1].name = "fail";
  functions[1].options.max_retries = 0;
  functions[2].name = "slow";
  functions[2].options.timeout = std::chrono::milliseconds(5000);
  functions[3].name = "both";
  functions[3].options.max_retries = 2;
  functions[3].options.timeout = std::chrono::milliseconds(1);
  std::vector<LeaseToken> running{{"0000000000000001", 3}, {"0000000000000002", 1}};
  std::vector<std::string> queues{"default"};
  json params = json::parse(encode_hello(1, "n1", functions, queues, 0, running)).at("params");
  CHECK(params.at("functions") == json::array({"add",
                                               {{"name", "fail"}, {"max_retries", 0}},
                                               {{"name", "slow"}, {"timeout_ms", 5000}},
                                               {{"name", "both"}, {"max_retries", 2}, {"timeout_ms", 1}}}));
  CHECK(params.at("running") ==
        json::array({{{"id", "0000000000000001"}, {"attempt", 3}}, {{"id", "0000000000000002"}, {"attempt", 1}}}));
  CHECK(params.at("slots") == 0);
}

TEST_CASE("a node.run task is read by moving its fields out" * doctest::timeout(30)) {
  json params = {{"tasks", {{{"id", "0000000000000001"}, {"function", "add"}, {"params", {5, 6}}, {"attempt", 2}}}}};
  json* tasks = task_list(params);
  REQUIRE(tasks != nullptr);
  auto task = read_task(tasks->at(0));
  REQUIRE(task);
  CHECK(task->id == "0000000000000001");
  CHECK(task->function == "add");
  CHECK(task->attempt == 2);
  CHECK(task->params == json{5, 6});
  CHECK(task->timeout.count() == 0);
  json without_params = {{"id", "x"}, {"function", "noop"}, {"attempt", 1}};
  auto bare = read_task(without_params);
  REQUIRE(bare);
  CHECK(bare->params.is_null());
}

TEST_CASE("a node.run task's timeout_ms is read, from 1 to 86400000" * doctest::timeout(30)) {
  for (std::int64_t ms : {1LL, 2500LL, 86400000LL}) {
    json entry = {{"id", "x"}, {"function", "sleep"}, {"attempt", 1}, {"timeout_ms", ms}};
    auto task = read_task(entry);
    REQUIRE(task);
    CHECK(task->timeout == std::chrono::milliseconds(ms));
  }
}

TEST_CASE(
    "a node.run task without a string id, a string function or an int attempt, or with a bad timeout_ms, "
    "is refused" *
    doctest::timeout(30)) {
  for (json entry : {json(7), json{{"function", "add"}, {"attempt", 1}},
                     json{{"id", 1}, {"function", "add"}, {"attempt", 1}}, json{{"id", "x"}, {"attempt", 1}},
                     json{{"id", "x"}, {"function", "add"}}, json{{"id", "x"}, {"function", "add"}, {"attempt", "1"}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1.5}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1LL << 40}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1}, {"timeout_ms", 0}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1}, {"timeout_ms", -5}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1}, {"timeout_ms", 86400001}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1}, {"timeout_ms", 1.5}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1}, {"timeout_ms", "10"}},
                     json{{"id", "x"}, {"function", "add"}, {"attempt", 1}, {"timeout_ms", UINT64_MAX}}}) {
    CAPTURE(entry);
    CHECK_FALSE(read_task(entry));
  }
  json no_tasks = {{"other", 1}};
  CHECK(task_list(no_tasks) == nullptr);
  json not_array = {{"tasks", "x"}};
  CHECK(task_list(not_array) == nullptr);
  json array_params = json::array();
  CHECK(task_list(array_params) == nullptr);
}

TEST_CASE("a node.cancel entry is read as a lease token, and one without a string id or an int attempt is refused" *
          doctest::timeout(30)) {
  json params = {{"tasks", {{{"id", "0000000000000001"}, {"attempt", 2}}}}};
  json* tasks = task_list(params);
  REQUIRE(tasks != nullptr);
  auto token = read_lease_token(tasks->at(0));
  REQUIRE(token);
  CHECK(token->id == "0000000000000001");
  CHECK(token->attempt == 2);
  for (json entry : {json(7), json{{"attempt", 1}}, json{{"id", 1}, {"attempt", 1}}, json{{"id", "x"}},
                     json{{"id", "x"}, {"attempt", "1"}}, json{{"id", "x"}, {"attempt", 1LL << 40}}}) {
    CAPTURE(entry);
    CHECK_FALSE(read_lease_token(entry));
  }
}

}  // namespace zerotask::testing

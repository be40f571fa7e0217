// node.cancel against a fake broker: which task it stops, and what the node reports.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stop_token>
#include <string>

#include "fake_broker.hpp"
#include "test_support.hpp"
#include "zerotask/node.hpp"

namespace zerotask::testing {
namespace {

const json kCancelled{
    {"code", rpc::kCancelled}, {"message", "task cancelled"}, {"data", {{"type", "zerotask::Cancelled"}}}};

// A node of `threads` workers serving two functions that note that they started and
// return whether their stop token fired: `wait` returns once its token fires or the
// test releases it, `linger` only once the test releases it (20 s at most each).
struct WaitingNode {
  WaitingNode(FakeBroker& broker, unsigned threads)
      : running(node_config(broker, threads), [this](Node& node) {
          node.register_function("wait", [this](const json&, TaskContext& context) {
            ++started;
            wait_until([&] { return context.stop_token().stop_requested() || released.load(); }, 20s);
            return json(context.stop_token().stop_requested());
          });
          node.register_function("linger", [this](const json&, TaskContext& context) {
            ++started;
            std::stop_callback note_stop(context.stop_token(), [this] { stopped = true; });
            wait_until([&] { return released.load(); }, 20s);
            return json(context.stop_token().stop_requested());
          });
        }) {}

  std::atomic<int> started{0};
  std::atomic<bool> stopped{false};
  std::atomic<bool> released{false};
  RunningNode running;
};

void cancel(FakeBroker& broker, const std::string& identity, json tasks) {
  broker.send_text(identity, rpc::encode_notification("node.cancel", json{{"tasks", std::move(tasks)}}));
}

json lease(const std::string& id, int attempt) {
  return json{{"id", id}, {"attempt", attempt}};
}

// Returns once the node has read everything sent to it before: it reads its DEALER
// in order, and answers a task of a function it does not have at once.
bool read_up_to_here(FakeBroker& broker, const std::string& identity) {
  broker.run(identity, json::array({task("00000000000000ee", "none", nullptr)}));
  auto done = broker.expect("node.done");
  return done && done->params().at("results").at(0).at("id") == "00000000000000ee";
}

}  // namespace

TEST_CASE("node.cancel fires the stop token of the running task with that id and attempt, which reports cancelled" *
          doctest::timeout(30)) {
  FakeBroker broker;
  WaitingNode node(broker, 1);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000001", "wait", nullptr, 2)}));
  REQUIRE(wait_until([&] { return node.started.load() == 1; }));
  cancel(broker, hello->identity, json::array({lease("0000000000000001", 2)}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  // The function returned true (its token fired), but the node reports the cancel.
  CHECK(done->params().at("results") ==
        json::array({{{"id", "0000000000000001"}, {"attempt", 2}, {"error", kCancelled}}}));
}

TEST_CASE("a node.cancel entry naming another attempt, a task the node does not hold, or nothing readable is ignored" *
          doctest::timeout(30)) {
  FakeBroker broker;
  WaitingNode node(broker, 1);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000002", "wait", nullptr, 2)}));
  REQUIRE(wait_until([&] { return node.started.load() == 1; }));
  cancel(broker, hello->identity,
         json::array({lease("0000000000000002", 1), lease("00000000000000ff", 2), json(7), json{{"id", "x"}}}));
  broker.send_text(hello->identity, R"({"jsonrpc":"2.0","method":"node.cancel","params":{"tasks":"all"}})");
  REQUIRE(read_up_to_here(broker, hello->identity));
  node.released = true;
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->params().at("results") == json::array({{{"id", "0000000000000002"}, {"attempt", 2}, {"result", false}}}));
}

TEST_CASE("a task cancelled while it waits for a busy worker is reported cancelled without being started" *
          doctest::timeout(30)) {
  FakeBroker broker;
  WaitingNode node(broker, 1);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity,
             json::array({task("0000000000000003", "wait", nullptr), task("0000000000000004", "wait", nullptr)}));
  REQUIRE(wait_until([&] { return node.started.load() == 1; }));
  cancel(broker, hello->identity, json::array({lease("0000000000000004", 1)}));
  REQUIRE(read_up_to_here(broker, hello->identity));
  node.released = true;
  json results = json::array();
  while (results.size() < 2) {
    auto done = broker.expect("node.done");
    REQUIRE(done);
    for (const auto& result : done->params().at("results")) results.push_back(result);
  }
  CHECK(results == json::array({{{"id", "0000000000000003"}, {"attempt", 1}, {"result", false}},
                                {{"id", "0000000000000004"}, {"attempt", 1}, {"error", kCancelled}}}));
  CHECK(node.started.load() == 1);
}

TEST_CASE("a running task whose timeout fired before its cancel reports timed_out" * doctest::timeout(30)) {
  FakeBroker broker;
  WaitingNode node(broker, 1);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  json timed = task("0000000000000005", "linger", nullptr);
  timed["timeout_ms"] = 50;
  broker.run(hello->identity, json::array({timed}));
  REQUIRE(wait_until([&] { return node.stopped.load(); }));
  cancel(broker, hello->identity, json::array({lease("0000000000000005", 1)}));
  REQUIRE(read_up_to_here(broker, hello->identity));
  node.released = true;
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->params().at("results").at(0).at("error").at("code") == rpc::kTimedOut);
}

}  // namespace zerotask::testing

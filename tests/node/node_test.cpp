// The node against a fake broker: what it says on the wire, when, and to whom.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>

#include "fake_broker.hpp"
#include "test_support.hpp"
#include "zerotask/node.hpp"

namespace zerotask::testing {
namespace {

json add_numbers(const json& params) {
  return params.at(0).get<int>() + params.at(1).get<int>();
}

void with_add(Node& node) {
  node.register_function("add", add_numbers);
}

// A node serving add and `hold`, which blocks until the gate opens.
struct HoldingNode {
  explicit HoldingNode(FakeBroker& broker)
      : running(node_config(broker), [this](Node& node) {
          with_add(node);
          node.register_function("hold", [this](const json&) {
            started = true;
            gate.wait();
            return json("held");
          });
        }) {}

  Gate gate;
  std::atomic<bool> started{false};
  RunningNode running;
};

// The next node.done holding a result for `id`, skipping the ones a node sends again
// after a rejoin (it resends what the broker has not confirmed).
std::optional<Received> expect_done_of(FakeBroker& broker, const std::string& id) {
  while (auto done = broker.expect("node.done")) {
    for (const auto& result : done->params().at("results")) {
      if (result.at("id") == id) return done;
    }
  }
  return std::nullopt;
}

// Runs one add task to its node.done. The node reads its DEALER in order, so after
// this it has read everything sent to it before, the hello reply included (events
// are ignored until the hello reply says which epoch is current).
bool round_trip(FakeBroker& broker, const std::string& identity) {
  broker.run(identity, json::array({task("00000000000000ff", "add", {0, 0})}));
  auto done = broker.expect("node.done");
  return done && done->first_result().at("id") == "00000000000000ff";
}

// Says hello (epoch e1), starts task `id` on `hold`, then publishes epoch e2 so the
// node rejoins on a new connection; returns the hello on it.
std::optional<Received> rejoin_while_holding(FakeBroker& broker, HoldingNode& node, const std::string& id,
                                             int attempt) {
  auto hello = broker.accept_hello("e1");
  REQUIRE(hello);
  REQUIRE(broker.wait_for_subscriber());
  REQUIRE(round_trip(broker, hello->identity));
  // Started, not just queued: a reconnect drops the tasks no worker has started.
  broker.run(hello->identity, json::array({task(id, "hold", nullptr, attempt)}));
  REQUIRE(wait_until([&] { return node.started.load(); }));
  broker.publish("broker", json{{"event", "started"}, {"epoch", "e2"}, {"time", 2}});
  auto again = broker.accept_hello("e2");
  REQUIRE(again);
  CHECK(again->identity != hello->identity);
  return again;
}

}  // namespace

TEST_CASE("a node says hello with its name, its sorted functions, the default queue and one slot per thread" *
          doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker, 3), [](Node& node) {
    node.register_function("echo", [](const json& params) { return params; });
    with_add(node);
  });
  auto hello = broker.expect("node.hello");
  REQUIRE(hello);
  CHECK(hello->body.contains("id"));
  CHECK(hello->params() ==
        json{{"node", "test-node"}, {"functions", {"add", "echo"}}, {"queues", {"default"}}, {"slots", 3}});
}

TEST_CASE("a node's hello lists the queues of its config, in their order" * doctest::timeout(30)) {
  FakeBroker broker;
  NodeConfig config = node_config(broker);
  config.queues = {"images", "default"};
  RunningNode running(config, with_add);
  auto hello = broker.expect("node.hello");
  REQUIRE(hello);
  CHECK(hello->params().at("queues") == json{"images", "default"});
}

TEST_CASE("a node refuses over 100 queues and a queue name outside 1 to 128 bytes" * doctest::timeout(30)) {
  FakeBroker broker;
  NodeConfig config = node_config(broker);
  config.queues.assign(100, "q");
  config.queues.back() = std::string(128, 'q');
  CHECK_NOTHROW(Node{config});
  config.queues.emplace_back("q");
  CHECK_THROWS_WITH_AS(Node{config}, "a node serves at most 100 queues", std::invalid_argument);
  config.queues = {"a", ""};
  CHECK_THROWS_WITH_AS(Node{config}, "a queue name must be 1 to 128 bytes: ''", std::invalid_argument);
  config.queues = {std::string(129, 'q')};
  CHECK_THROWS_AS(Node{config}, std::invalid_argument);
}

TEST_CASE("a node's hello lists a function registered with options as an object of the options set" *
          doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), [](Node& node) {
    with_add(node);
    FunctionOptions no_retries;
    no_retries.max_retries = 0;
    node.register_function("fail", add_numbers, no_retries);
    FunctionOptions both;
    both.max_retries = 5;
    both.timeout = 2500ms;
    node.register_function("slow", add_numbers, both);
  });
  auto hello = broker.expect("node.hello");
  REQUIRE(hello);
  CHECK(hello->params().at("functions") == json::array({"add",
                                                        {{"name", "fail"}, {"max_retries", 0}},
                                                        {{"name", "slow"}, {"max_retries", 5}, {"timeout_ms", 2500}}}));
  // Nothing runs before the first hello.
  CHECK_FALSE(hello->params().contains("running"));
}

TEST_CASE("a node refuses function options out of the protocol's ranges" * doctest::timeout(30)) {
  FakeBroker broker;
  Node node(node_config(broker));
  FunctionOptions retries;
  retries.max_retries = 101;
  CHECK_THROWS_AS(node.register_function("add", add_numbers, retries), std::invalid_argument);
  FunctionOptions timeout;
  timeout.timeout = 0ms;
  CHECK_THROWS_AS(node.register_function("add", add_numbers, timeout), std::invalid_argument);
}

TEST_CASE("a task handed out with node.run comes back in node.done with its result" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), with_add);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000001", "add", {2, 3}, 4)}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->identity == hello->identity);
  CHECK_FALSE(done->body.contains("id"));
  CHECK(done->params().at("results") == json::array({{{"id", "0000000000000001"}, {"attempt", 4}, {"result", 5}}}));
}

TEST_CASE("an exception thrown by a function becomes task_failed with its message and type" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), [](Node& node) {
    node.register_function("explode", [](const json&) -> json { throw std::out_of_range("boom"); });
  });
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000002", "explode", json::array())}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  const json& result = done->first_result();
  CHECK(result.at("id") == "0000000000000002");
  CHECK_FALSE(result.contains("result"));
  CHECK(result.at("error") ==
        json{{"code", rpc::kTaskFailed}, {"message", "boom"}, {"data", {{"type", "std::out_of_range"}}}});
}

TEST_CASE("a task for a function the node does not have fails with unknown_function" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), with_add);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000003", "resize", json::array())}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->first_result().at("error").at("code") == rpc::kUnknownFunction);
  CHECK(done->first_result().at("error").at("message") == "this node has no function 'resize'");
}

TEST_CASE("a task past its timeout_ms gets its stop token fired and ends with timed_out" * doctest::timeout(30)) {
  FakeBroker broker;
  std::atomic<bool> saw_stop{false};
  RunningNode running(node_config(broker), [&](Node& node) {
    node.register_function("forever", [&](const json&, TaskContext& context) -> json {
      wait_until([&] { return context.stop_token().stop_requested(); }, 20s);
      saw_stop = context.stop_token().stop_requested();
      return "too late";
    });
  });
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  json timed = task("000000000000000e", "forever", nullptr, 2);
  timed["timeout_ms"] = 100;
  auto start = std::chrono::steady_clock::now();
  broker.run(hello->identity, json::array({timed}));
  auto done = broker.expect("node.done", 5s);
  REQUIRE(done);
  CHECK(std::chrono::steady_clock::now() - start >= 100ms);
  CHECK(saw_stop.load());
  CHECK(done->params().at("results") == json::array({{{"id", "000000000000000e"},
                                                      {"attempt", 2},
                                                      {"error",
                                                       {{"code", rpc::kTimedOut},
                                                        {"message", "task timed out after 100 ms"},
                                                        {"data", {{"type", "zerotask::TimedOut"}}}}}}}));
}

TEST_CASE("a task that returns before its timeout_ms reports its result" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), with_add);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  json timed = task("000000000000000f", "add", {2, 2});
  timed["timeout_ms"] = 10000;
  broker.run(hello->identity, json::array({timed}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->params().at("results") == json::array({{{"id", "000000000000000f"}, {"attempt", 1}, {"result", 4}}}));
}

TEST_CASE("progress reported by a function reaches the broker before the task's result" * doctest::timeout(30)) {
  FakeBroker broker;
  Gate gate;
  RunningNode running(node_config(broker), [&](Node& node) {
    node.register_function("steps", [&](const json&, TaskContext& context) -> json {
      context.report_progress(json{{"current", 1}, {"total", 2}});
      gate.wait();
      return "finished";
    });
  });
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000004", "steps", nullptr, 2)}));
  auto progress = broker.expect("node.progress");
  REQUIRE(progress);
  CHECK_FALSE(progress->body.contains("id"));
  CHECK(progress->params() ==
        json{{"id", "0000000000000004"}, {"attempt", 2}, {"progress", {{"current", 1}, {"total", 2}}}});
  gate.open();
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->first_result().at("result") == "finished");
}

TEST_CASE("results produced in the same loop turn travel in one node.done" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), with_add);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  // Unknown functions are answered by the I/O thread itself while it reads the
  // node.run, so all three are ready before it next sends.
  broker.run(hello->identity,
             json::array({task("000000000000000a", "nope", nullptr), task("000000000000000b", "nope", nullptr),
                          task("000000000000000c", "nope", nullptr)}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  REQUIRE(done->params().at("results").size() == 3);
  CHECK(done->params().at("results").at(2).at("id") == "000000000000000c");
}

TEST_CASE("many quick tasks come back in fewer node.done messages than tasks, each result once" *
          doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker, 2),
                      [](Node& node) { node.register_function("noop", [](const json&) { return json(nullptr); }); });
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  constexpr int kTasks = 400;
  json tasks = json::array();
  for (int i = 0; i < kTasks; ++i) tasks.push_back(task("t" + std::to_string(i), "noop", nullptr));
  broker.run(hello->identity, std::move(tasks));
  std::set<std::string> seen;
  int messages = 0;
  while (seen.size() < kTasks) {
    auto done = broker.expect("node.done");
    REQUIRE(done);
    ++messages;
    for (const auto& result : done->params().at("results")) {
      CHECK(seen.insert(result.at("id").get<std::string>()).second);
      CHECK(result.at("result").is_null());
    }
  }
  CHECK(messages < kTasks);
}

// Heartbeat intervals here leave a wide margin before the 3-interval silence
// timeout, so that a slow (sanitized, loaded) run still answers in time.
TEST_CASE("a node sends node.heartbeat requests every interval" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.answer_heartbeats(false);
  RunningNode running(node_config(broker, 1, 200ms), with_add);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  auto first = broker.expect("node.heartbeat", 2s);
  REQUIRE(first);
  CHECK(first->body.contains("id"));
  broker.reply(*first, json{{"epoch", "e1"}});
  auto second = broker.expect("node.heartbeat", 2s);
  REQUIRE(second);
  CHECK(second->body.at("id") != first->body.at("id"));
  CHECK(second->identity == hello->identity);
}

TEST_CASE("a node says hello again when a heartbeat is answered with unknown_node" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.answer_heartbeats(false);
  RunningNode running(node_config(broker, 1, 300ms), with_add);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  auto heartbeat = broker.expect("node.heartbeat", 2s);
  REQUIRE(heartbeat);
  broker.reply_error(*heartbeat, rpc::kUnknownNode, "unknown node");
  auto again = broker.expect("node.hello", 2s);
  REQUIRE(again);
  CHECK(again->params().at("node") == "test-node");
  // The same connection: this hello answers the error, not a silence.
  CHECK(again->identity == hello->identity);
}

TEST_CASE("a node reconnects with a new identity when the broker publishes another epoch" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), with_add);
  auto hello = broker.accept_hello("e1");
  REQUIRE(hello);
  REQUIRE(broker.wait_for_subscriber());
  REQUIRE(round_trip(broker, hello->identity));
  // The same epoch is the same broker: nothing happens.
  broker.publish("broker", json{{"event", "heartbeat"}, {"epoch", "e1"}, {"time", 1}});
  broker.publish("broker", json{{"event", "started"}, {"epoch", "e2"}, {"time", 2}});
  auto again = broker.accept_hello("e2");
  REQUIRE(again);
  CHECK(again->identity != hello->identity);
  broker.run(again->identity, json::array({task("0000000000000005", "add", {1, 1})}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->identity == again->identity);
  CHECK_FALSE(broker.backlog_has("node.hello"));
}

TEST_CASE("a node that hears nothing from the broker for three intervals reconnects with a new identity" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.answer_heartbeats(false);
  RunningNode running(node_config(broker, 1, 50ms), with_add);
  // Not even the hello is answered.
  auto hello = broker.expect("node.hello");
  REQUIRE(hello);
  auto again = broker.expect("node.hello", 3s);
  REQUIRE(again);
  CHECK(again->identity != hello->identity);
}

TEST_CASE("a task still running when the node reconnects reports its result on the new connection" *
          doctest::timeout(30)) {
  FakeBroker broker;
  HoldingNode node(broker);
  auto again = rejoin_while_holding(broker, node, "0000000000000006", 1);
  node.gate.open();
  auto done = expect_done_of(broker, "0000000000000006");
  REQUIRE(done);
  CHECK(done->identity == again->identity);
  CHECK(done->params().at("results").back() == json{{"id", "0000000000000006"}, {"attempt", 1}, {"result", "held"}});
}

TEST_CASE("the hello after a rejoin lists the tasks still running with their attempts, and only those" *
          doctest::timeout(30)) {
  FakeBroker broker;
  HoldingNode node(broker);
  // The add task of the round trip has finished: it is not listed, the held one is.
  auto again = rejoin_while_holding(broker, node, "0000000000000010", 3);
  CHECK(again->params().at("running") == json::array({{{"id", "0000000000000010"}, {"attempt", 3}}}));
  node.gate.open();
  CHECK(expect_done_of(broker, "0000000000000010"));
  // Once its result is out, the next hello has nothing to list.
  REQUIRE(round_trip(broker, again->identity));
  broker.publish("broker", json{{"event", "started"}, {"epoch", "e3"}, {"time", 3}});
  auto third = broker.accept_hello("e3");
  REQUIRE(third);
  CHECK_FALSE(third->params().contains("running"));
}

TEST_CASE("stop sends pull with no slots, lets the running task finish, sends its result and says bye" *
          doctest::timeout(30)) {
  FakeBroker broker;
  Gate gate;
  std::atomic<int> started{0};
  RunningNode running(node_config(broker, 1), [&](Node& node) {
    node.register_function("hold", [&](const json&) {
      ++started;
      gate.wait();
      return json("held");
    });
  });
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  // One worker: the first task runs, the second waits in the queue and is dropped.
  broker.run(hello->identity,
             json::array({task("0000000000000007", "hold", nullptr), task("0000000000000008", "hold", nullptr)}));
  REQUIRE(wait_until([&] { return started.load() == 1; }));
  running.node().stop();
  auto pull = broker.expect("node.pull");
  REQUIRE(pull);
  CHECK(pull->params() == json{{"slots", 0}});
  CHECK_FALSE(running.finished());
  gate.open();
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->params().at("results") ==
        json::array({{{"id", "0000000000000007"}, {"attempt", 1}, {"result", "held"}}}));
  auto bye = broker.expect("node.bye");
  REQUIRE(bye);
  CHECK(running.wait_finished());
  CHECK(started.load() == 1);
}

TEST_CASE("a task that outlasts the shutdown grace gets its stop token and is handed back, not reported" *
          doctest::timeout(30)) {
  FakeBroker broker;
  std::atomic<bool> started{false};
  std::atomic<bool> saw_stop{false};
  NodeConfig config = node_config(broker, 1);
  config.shutdown_grace = 100ms;
  RunningNode running(config, [&](Node& node) {
    node.register_function("forever", [&](const json&, TaskContext& context) -> json {
      started = true;
      wait_until([&] { return context.stop_token().stop_requested(); }, 20s);
      saw_stop = context.stop_token().stop_requested();
      return "interrupted";
    });
  });
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000009", "forever", nullptr)}));
  REQUIRE(wait_until([&] { return started.load(); }));
  running.node().stop();
  REQUIRE(broker.expect("node.pull"));
  REQUIRE(broker.expect("node.bye"));
  CHECK(running.wait_finished());
  CHECK(saw_stop.load());
  CHECK_FALSE(broker.backlog_has("node.done"));
}

TEST_CASE("malformed messages from the broker are ignored and the node keeps serving" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), with_add);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  const auto& peer = hello->identity;
  broker.send_text(peer, "this is not json");
  // Deeper than even the generous limit for the broker's messages.
  broker.send_text(peer, std::string(2000, '[') + std::string(2000, ']'));
  broker.send_text(peer, "[]");
  broker.send_text(peer, "42");
  broker.send_text(peer, R"({"jsonrpc":"2.0","method":"node.run","params":{"tasks":"none"}})");
  broker.send_text(peer,
                   R"({"jsonrpc":"2.0","method":"node.run","params":{"tasks":[7,{"function":"add"},)"
                   R"({"id":"x","function":"add","attempt":"one"},{"id":"y","function":"add","attempt":1e99}]}})");
  broker.send_text(peer, R"({"jsonrpc":"2.0","method":"node.run"})");
  broker.send_text(peer, R"({"jsonrpc":"2.0","id":"nobody","result":{}})");
  broker.send_text(peer, R"({"jsonrpc":"2.0","id":12345,"error":{"code":-1,"message":"?"}})");
  broker.run(peer, json::array({task("000000000000000d", "add", {20, 22})}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->params().at("results") == json::array({{{"id", "000000000000000d"}, {"attempt", 1}, {"result", 42}}}));
}

TEST_CASE("a request from the broker other than node.run is answered with method_not_found" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), with_add);
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.send_text(hello->identity, R"({"jsonrpc":"2.0","id":"q1","method":"node.dance"})");
  auto answer = broker.receive();
  REQUIRE(answer);
  CHECK(answer->body.at("id") == "q1");
  CHECK(answer->body.at("error").at("code") == rpc::kMethodNotFound);
}

TEST_CASE("stop called before run makes run return at once" * doctest::timeout(30)) {
  FakeBroker broker;
  Node node(node_config(broker));
  with_add(node);
  node.stop();
  node.run();
  CHECK_FALSE(broker.receive(200ms));
}

TEST_CASE("a node refuses to run without functions and to register functions once running" * doctest::timeout(30)) {
  FakeBroker broker;
  Node empty(node_config(broker));
  CHECK_THROWS_AS(empty.run(), std::logic_error);
  RunningNode running(node_config(broker), with_add);
  REQUIRE(broker.expect("node.hello"));
  CHECK_THROWS_AS(running.node().register_function("late", add_numbers), std::logic_error);
}

TEST_CASE("a node without a name makes one from the host, the pid and a random suffix" * doctest::timeout(30)) {
  NodeConfig config;
  Node node(config);
  CHECK(node.name().find("-" + std::to_string(getpid()) + "-") != std::string::npos);
  CHECK(node.name().size() <= 128);
}

TEST_CASE("a result not yet confirmed by a heartbeat answer is sent again after a rejoin, a confirmed one is not" *
          doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker, 1, 100ms), [](Node& node) { with_add(node); });
  auto hello = broker.accept_hello("e1", 100);
  REQUIRE(hello);
  REQUIRE(broker.wait_for_subscriber());
  broker.run(hello->identity, json::array({task("0000000000000021", "add", {1, 1})}));
  REQUIRE(expect_done_of(broker, "0000000000000021"));
  // The answer to a heartbeat sent after that result confirms it.
  broker.answer_heartbeats(false);
  auto beat = broker.expect("node.heartbeat", 2s);
  REQUIRE(beat);
  broker.reply(*beat, json{{"epoch", "e1"}});
  broker.run(hello->identity, json::array({task("0000000000000022", "add", {2, 2})}));
  REQUIRE(expect_done_of(broker, "0000000000000022"));
  broker.publish("broker", json{{"event", "started"}, {"epoch", "e2"}, {"time", 2}});
  auto again = broker.accept_hello("e2", 100);
  REQUIRE(again);
  auto resent = broker.expect("node.done");
  REQUIRE(resent);
  CHECK(resent->identity == again->identity);
  json ids = json::array();
  for (const auto& result : resent->params().at("results")) ids.push_back(result.at("id"));
  CHECK(ids == json::array({"0000000000000022"}));
}

}  // namespace zerotask::testing

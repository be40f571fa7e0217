// The node against a fake broker, at the edges: deep and big messages each way, a
// connection that cannot take results and partial results for a while, and the slots
// a node offers while tasks from before a rejoin still run.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "dispatcher.hpp"
#include "fake_broker.hpp"
#include "nested_json.hpp"
#include "node_loop.hpp"
#include "outbox.hpp"
#include "test_support.hpp"
#include "worker_pool.hpp"
#include "zerotask/node.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::testing {
namespace {

int depth_of(const json& value) {
  int depth = 0;
  for (const json* at = &value; at->is_array() && !at->empty(); at = &at->at(0)) ++depth;
  return depth;
}

json error_of(const std::string& message, const std::string& type) {
  return json{{"code", rpc::kTaskFailed}, {"message", message}, {"data", {{"type", type}}}};
}

// A NodeLoop put together as Node::run() does, but with the DEALER options the test
// chooses; its run() is on its own thread, stopped and joined by the destructor.
class LoopUnderTest {
 public:
  LoopUnderTest(const NodeConfig& config, const SocketLimits& dealer,
                const std::function<void(node_impl::Dispatcher&)>& setup)
      : config_(config), outbox_(wakeup_), pool_(config_.threads, outbox_) {
    setup(dispatcher_);
    loop_.emplace(config_, dispatcher_, context_, wakeup_, outbox_, pool_, stop_, dealer);
    thread_ = std::thread([this] {
      try {
        loop_->run();
      } catch (const std::exception& error) {
        std::fprintf(stderr, "NodeLoop::run() threw: %s\n", error.what());
      }
    });
  }
  ~LoopUnderTest() {
    stop_.store(true);
    wakeup_.notify();
    thread_.join();
  }
  LoopUnderTest(const LoopUnderTest&) = delete;
  LoopUnderTest& operator=(const LoopUnderTest&) = delete;

 private:
  const NodeConfig config_;
  node_impl::Dispatcher dispatcher_;
  zmq::context_t context_{1};
  Wakeup wakeup_;
  node_impl::Outbox outbox_;
  node_impl::WorkerPool pool_;
  std::atomic<bool> stop_{false};
  std::optional<node_impl::NodeLoop> loop_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("a task whose params nest deeper than 64 levels inside node.run is run" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), [](Node& node) {
    node.register_function("depth", [](const json& params) { return depth_of(params); });
  });
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  // 100 levels of params, 4 more of node.run around them: deeper than the default
  // limit of 64, well within what a broker accepts from a client with --max-depth 128.
  broker.run(hello->identity, json::array({task("0000000000000001", "depth", nested_array(100))}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->first_result() == json{{"id", "0000000000000001"}, {"attempt", 1}, {"result", 100}});
}

TEST_CASE("a result nested deeper than the broker accepts becomes a ResultTooDeep error" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), [](Node& node) {
    node.register_function("nest", [](const json& params) { return nested_array(params.at(0).get<std::size_t>()); });
  });
  // A hello reply without limits (an older broker): its default max_depth 64 holds,
  // so a result may nest 56 levels.
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000001", "nest", {56})}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->first_result().at("result") == nested_array(56));
  broker.run(hello->identity, json::array({task("0000000000000002", "nest", {57})}));
  done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->first_result() ==
        json{{"id", "0000000000000002"},
             {"attempt", 1},
             {"error", error_of("result nested deeper than 56 levels", "zerotask::ResultTooDeep")}});
}

TEST_CASE("the depth a result may have follows the max_depth of the broker's hello reply" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), [](Node& node) {
    node.register_function("nest", [](const json& params) { return nested_array(params.at(0).get<std::size_t>()); });
  });
  auto hello = broker.accept_hello("e1", 1000, json{{"max_depth", 512}, {"max_message_bytes", 16 << 20}});
  REQUIRE(hello);
  broker.run(hello->identity,
             json::array({task("0000000000000001", "nest", {504}), task("0000000000000002", "nest", {505})}));
  std::optional<json> deep_enough;
  std::optional<json> too_deep;
  while (!deep_enough || !too_deep) {
    auto done = broker.expect("node.done");
    REQUIRE(done);
    // The whole message stays within the broker's limit.
    CHECK_FALSE(rpc::nesting_exceeds(done->body.dump(), 512));
    for (const auto& entry : done->params().at("results")) {
      (entry.at("id") == "0000000000000001" ? deep_enough : too_deep) = entry;
    }
  }
  CHECK(depth_of(deep_enough->at("result")) == 504);
  CHECK(too_deep->at("error") == error_of("result nested deeper than 504 levels", "zerotask::ResultTooDeep"));
}

TEST_CASE("results are split over node.done messages of at most half the broker's max_message_bytes" *
          doctest::timeout(30)) {
  FakeBroker broker;
  constexpr int kTasks = 12;
  Gate gate;
  std::atomic<int> started{0};
  RunningNode running(node_config(broker, kTasks), [&](Node& node) {
    node.register_function("pad", [&](const json&) {
      ++started;
      gate.wait();
      return json(std::string(700, 'x'));
    });
  });
  auto hello = broker.accept_hello("e1", 1000, json{{"max_depth", 64}, {"max_message_bytes", 4096}});
  REQUIRE(hello);
  json tasks = json::array();
  for (int i = 0; i < kTasks; ++i) tasks.push_back(task("t" + std::to_string(i), "pad", nullptr));
  broker.run(hello->identity, std::move(tasks));
  // All finish together, so whole batches of results have to be split.
  REQUIRE(wait_until([&] { return started.load() == kTasks; }));
  gate.open();
  std::set<std::string> seen;
  int messages = 0;
  while (seen.size() < kTasks) {
    auto done = broker.expect("node.done");
    REQUIRE(done);
    ++messages;
    CHECK(done->bytes <= 2048);
    CHECK(done->params().at("results").size() <= 2);
    for (const auto& result : done->params().at("results")) {
      CHECK(seen.insert(result.at("id").get<std::string>()).second);
      CHECK(result.at("result") == std::string(700, 'x'));
    }
  }
  CHECK(messages >= kTasks / 2);
}

TEST_CASE("a result too large for a node.done of its own becomes a ResultTooLarge error" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), [](Node& node) {
    node.register_function("text",
                           [](const json& params) { return std::string(params.at(0).get<std::size_t>(), 'y'); });
  });
  auto hello = broker.accept_hello("e1", 1000, json{{"max_depth", 64}, {"max_message_bytes", 4096}});
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000001", "text", {3000})}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->bytes <= 2048);
  CHECK(done->first_result() ==
        json{{"id", "0000000000000001"},
             {"attempt", 1},
             {"error", error_of("result of 3002 bytes exceeds the broker's limit", "zerotask::ResultTooLarge")}});
  // The node goes on serving, on the same connection.
  broker.run(hello->identity, json::array({task("0000000000000002", "text", {10})}));
  done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->first_result().at("result") == std::string(10, 'y'));
  CHECK(done->identity == hello->identity);
}

TEST_CASE("a node.run larger than 16 MiB is run without dropping the connection" * doctest::timeout(60)) {
  FakeBroker broker;
  RunningNode running(node_config(broker, 2, 10s), [](Node& node) {
    node.register_function("size",
                           [](const json& params) { return params.at(0).get_ref<const std::string&>().size(); });
  });
  // Encoded before the hello, and heartbeats far apart: under the sanitizers, building
  // 20 MiB of JSON takes seconds the node would otherwise take for a dead broker.
  constexpr std::size_t kBytes = 20 << 20;
  const std::string run = rpc::encode_notification(
      "node.run", json{{"tasks", json::array({task("0000000000000001", "size", {std::string(kBytes, 'z')})})}});
  auto hello = broker.accept_hello("e1", 10000);
  REQUIRE(hello);
  broker.send_text(hello->identity, run);
  auto done = broker.expect("node.done", 20s);
  REQUIRE(done);
  CHECK(done->identity == hello->identity);
  CHECK(done->first_result().at("result") == kBytes);
  CHECK_FALSE(broker.backlog_has("node.hello"));
}

// 40 MiB of results: about 20 s under AddressSanitizer at -O0.
TEST_CASE("results the connection cannot take yet are kept and all sent once the broker reads again" *
          doctest::timeout(90)) {
  // One message queued each way and small kernel buffers: the node's DEALER backs up
  // after a few messages while the broker does not read.
  FakeBroker broker(1, 64 * 1024);
  constexpr int kTasks = 80;
  constexpr std::size_t kBytes = 512 * 1024;
  std::atomic<int> finished{0};
  SocketLimits dealer = node_impl::dealer_limits();
  dealer.high_water_mark = 1;
  // Heartbeats far apart: the node must not take the silence for a dead broker.
  LoopUnderTest loop(node_config(broker, 2, 10s), dealer, [&](node_impl::Dispatcher& dispatcher) {
    dispatcher.add("big", [&](const json&, TaskContext&) {
      ++finished;
      return json(std::string(kBytes, 'x'));
    });
  });
  // node.done of at most 1 MiB: one result each.
  auto hello = broker.accept_hello("e1", 10000, json{{"max_depth", 64}, {"max_message_bytes", 2 << 20}});
  REQUIRE(hello);
  json tasks = json::array();
  for (int i = 0; i < kTasks; ++i) tasks.push_back(task("t" + std::to_string(i), "big", nullptr));
  broker.run(hello->identity, std::move(tasks));
  REQUIRE(wait_until([&] { return finished.load() == kTasks; }));
  // Time for the node to try sending everything into the backed-up connection.
  std::this_thread::sleep_for(300ms);
  std::set<std::string> seen;
  while (seen.size() < kTasks) {
    auto done = broker.expect("node.done", 10s);
    REQUIRE(done);
    CHECK(done->identity == hello->identity);
    for (const auto& result : done->params().at("results")) {
      CHECK(seen.insert(result.at("id").get<std::string>()).second);
      CHECK(result.at("result").get_ref<const std::string&>().size() == kBytes);
    }
  }
  CHECK_FALSE(broker.backlog_has("node.hello"));
}

TEST_CASE("partial results the connection cannot take yet are kept, and all go out in order before the result" *
          doctest::timeout(30)) {
  // As above: the node's DEALER backs up after a few messages while the broker does
  // not read.
  FakeBroker broker(1, 64 * 1024);
  // A few times what the DEALER, the broker's queue and the kernel buffers hold.
  constexpr int kPartials = 16;
  constexpr std::size_t kBytes = 256 * 1024;
  std::atomic<bool> finished{false};
  SocketLimits dealer = node_impl::dealer_limits();
  dealer.high_water_mark = 1;
  LoopUnderTest loop(node_config(broker, 1, 10s), dealer, [&](node_impl::Dispatcher& dispatcher) {
    dispatcher.add("stream", [&](const json&, TaskContext& context) {
      for (int i = 0; i < kPartials; ++i) context.report_partial(json{i, std::string(kBytes, 'x')});
      finished = true;
      return json("streamed");
    });
  });
  auto hello = broker.accept_hello("e1", 10000, json{{"max_depth", 64}, {"max_message_bytes", 2 << 20}});
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000001", "stream", nullptr)}));
  REQUIRE(wait_until([&] { return finished.load(); }));
  // Time for the node to try sending everything into the backed-up connection.
  std::this_thread::sleep_for(300ms);
  int partials = 0;
  while (true) {
    auto message = broker.receive(10s);
    REQUIRE(message);
    if (message->method() == "node.done") break;
    REQUIRE(message->method() == "node.progress");
    CHECK(message->params().at("partial").at(0) == partials);
    ++partials;
  }
  CHECK(partials == kPartials);
}

TEST_CASE("a partial result over the broker's limits is dropped and the others still go out" * doctest::timeout(30)) {
  FakeBroker broker;
  RunningNode running(node_config(broker), [](Node& node) {
    node.register_function("stream", [](const json&, TaskContext& context) {
      context.report_partial("first");
      context.report_partial(std::string(3000, 'x'));
      context.report_partial(nested_array(9));
      context.report_partial("last");
      return json("streamed");
    });
  });
  // Messages of at most 2048 bytes, values nested at most 8 levels.
  auto hello = broker.accept_hello("e1", 1000, json{{"max_depth", 16}, {"max_message_bytes", 4096}});
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000001", "stream", nullptr)}));
  json partials = json::array();
  while (true) {
    auto message = broker.receive();
    REQUIRE(message);
    if (message->method() == "node.done") break;
    partials.push_back(message->params().at("partial"));
  }
  CHECK(partials == json{"first", "last"});
}

TEST_CASE("after a reconnect a busy worker is not offered, and node.pull gives its slot back when its task ends" *
          doctest::timeout(30)) {
  FakeBroker broker;
  Gate gate;
  std::atomic<bool> started{false};
  RunningNode running(node_config(broker, 2), [&](Node& node) {
    node.register_function("hold", [&](const json&) {
      started = true;
      gate.wait();
      return json("held");
    });
    node.register_function("add", [](const json& params) { return params.at(0).get<int>() + params.at(1).get<int>(); });
  });
  auto hello = broker.accept_hello("e1");
  REQUIRE(hello);
  CHECK(hello->params().at("slots") == 2);
  REQUIRE(broker.wait_for_subscriber());
  broker.run(hello->identity, json::array({task("0000000000000001", "hold", nullptr)}));
  REQUIRE(wait_until([&] { return started.load(); }));
  broker.publish("broker", json{{"event", "started"}, {"epoch", "e2"}, {"time", 2}});
  auto again = broker.accept_hello("e2");
  REQUIRE(again);
  REQUIRE(again->identity != hello->identity);
  CHECK(again->params().at("slots") == 1);
  // The free worker serves the new connection meanwhile.
  broker.run(again->identity, json::array({task("0000000000000002", "add", {1, 2})}));
  auto done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->first_result().at("result") == 3);
  CHECK_FALSE(broker.backlog_has("node.pull"));
  gate.open();
  auto pull = broker.expect("node.pull");
  REQUIRE(pull);
  CHECK(pull->identity == again->identity);
  CHECK(pull->params() == json{{"slots", 2}});
  done = broker.expect("node.done");
  REQUIRE(done);
  CHECK(done->first_result() == json{{"id", "0000000000000001"}, {"attempt", 1}, {"result", "held"}});
}

TEST_CASE("a node whose workers are all busy says hello again with no slots and pulls them back one by one" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.answer_heartbeats(false);
  Gate first_gate;
  Gate second_gate;
  std::atomic<int> started{0};
  RunningNode running(node_config(broker, 2, 500ms), [&](Node& node) {
    node.register_function("hold", [&](const json& params) {
      ++started;
      (params.at(0) == 1 ? first_gate : second_gate).wait();
      return params.at(0);
    });
  });
  auto hello = broker.accept_hello("e1", 500);
  REQUIRE(hello);
  broker.run(hello->identity,
             json::array({task("0000000000000001", "hold", {1}), task("0000000000000002", "hold", {2})}));
  REQUIRE(wait_until([&] { return started.load() == 2; }));
  auto heartbeat = broker.expect("node.heartbeat", 2s);
  REQUIRE(heartbeat);
  broker.reply_error(*heartbeat, rpc::kUnknownNode, "unknown node");
  auto again = broker.expect("node.hello", 2s);
  REQUIRE(again);
  CHECK(again->identity == hello->identity);
  CHECK(again->params().at("slots") == 0);
  broker.reply(*again, json{{"epoch", "e1"}, {"heartbeat_ms", 500}});
  first_gate.open();
  auto pull = broker.expect("node.pull", 2s);
  REQUIRE(pull);
  CHECK(pull->params() == json{{"slots", 1}});
  second_gate.open();
  pull = broker.expect("node.pull", 2s);
  REQUIRE(pull);
  CHECK(pull->params() == json{{"slots", 2}});
  std::set<std::string> reported;
  while (reported.size() < 2) {
    auto done = broker.expect("node.done", 2s);
    REQUIRE(done);
    for (const auto& result : done->params().at("results")) reported.insert(result.at("id").get<std::string>());
  }
}

}  // namespace zerotask::testing

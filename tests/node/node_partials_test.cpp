// Partial results against a fake broker: every one goes out, in order, before the
// task's result.
#include <doctest/doctest.h>

#include <string>

#include "fake_broker.hpp"
#include "zerotask/node.hpp"

namespace zerotask::testing {

TEST_CASE("every partial result reaches the broker as node.progress with partial, in order, before the result" *
          doctest::timeout(30)) {
  constexpr int kPartials = 500;
  FakeBroker broker;
  RunningNode running(node_config(broker), [](Node& node) {
    node.register_function("stream", [](const json&, TaskContext& context) {
      for (int i = 0; i < kPartials; ++i) context.report_partial(json{{"piece", i}});
      return json("streamed");
    });
  });
  auto hello = broker.accept_hello();
  REQUIRE(hello);
  broker.run(hello->identity, json::array({task("0000000000000001", "stream", nullptr, 2)}));
  int partials = 0;
  while (true) {
    // In arrival order: receive() takes no message out of turn.
    auto message = broker.receive();
    REQUIRE(message);
    if (message->method() == "node.done") break;
    REQUIRE(message->method() == "node.progress");
    CHECK_FALSE(message->params().contains("progress"));
    CHECK(message->params() == json{{"id", "0000000000000001"}, {"attempt", 2}, {"partial", {{"piece", partials}}}});
    ++partials;
  }
  CHECK(partials == kPartials);
}

}  // namespace zerotask::testing

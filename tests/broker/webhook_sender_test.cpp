// The webhook sender against a stand-in for the broker loop (a ROUTER on an
// in-process endpoint) and a receiver (an HTTP server in the test): it takes
// deliveries, POSTs them until one is answered 2xx or the attempts run out, and
// reports each outcome.
#include <doctest/doctest.h>

#include "http/webhook_sender.hpp"
#include "webhook_receiver.hpp"
#include "zerotask/json_rpc.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using zerotask::testing::free_port;
using zerotask::testing::WebhookReceiver;
using namespace std::chrono_literals;

namespace {

constexpr const char* kLoop = "inproc://loop-under-test";

// The broker loop's side: takes the sender's requests, answers them.
struct FakeLoop {
  FakeLoop() : router(context, zmq::socket_type::router) {
    router.set(zmq::sockopt::linger, 0);
    router.bind(kLoop);
  }
  // The next message from the sender: its routing id and body; throws after 10 s.
  std::pair<std::string, json> receive() {
    zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
    REQUIRE(zmq::poll(&item, 1, 10s) == 1);
    zmq::message_t identity;
    zmq::message_t body;
    REQUIRE(router.recv(identity, zmq::recv_flags::none));
    REQUIRE(router.recv(body, zmq::recv_flags::none));
    return {identity.to_string(), json::parse(body.to_string_view())};
  }
  void answer(const std::string& identity, const json& request, const json& result) {
    router.send(zmq::buffer(identity), zmq::send_flags::sndmore);
    router.send(zmq::buffer(rpc::to_text(json{{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", result}})),
                zmq::send_flags::none);
  }
  // The next broker.webhooks.done, skipping the sender's next takes.
  json next_done() {
    while (true) {
      auto [identity, message] = receive();
      if (message["method"] == "broker.webhooks.done") return message;
      REQUIRE(message["method"] == "broker.webhooks.take");
    }
  }

  zmq::context_t context;
  zmq::socket_t router;
};

json delivery(const std::string& url) {
  return json{{"id", "00000000000000a1"},
              {"ended_at", 1795437582126},
              {"url", url},
              {"body", {{"id", "00000000000000a1"}, {"state", "SUCCEEDED"}, {"function", "add"}, {"result", 5}}}};
}

}  // namespace

TEST_CASE("the wait between attempts doubles up to its cap" * doctest::timeout(10)) {
  CHECK(webhook_backoff(1000ms, 1) == 1000ms);
  CHECK(webhook_backoff(1000ms, 2) == 2000ms);
  CHECK(webhook_backoff(1000ms, 4) == 8000ms);
  CHECK(webhook_backoff(1000ms, 30) == kMaxWebhookBackoff);
  CHECK(webhook_backoff(0ms, 5) == 0ms);
}

TEST_CASE("a delivery refused once is POSTed again after the backoff and reported delivered" * doctest::timeout(30)) {
  FakeLoop loop;
  WebhookReceiver receiver({500, 200});
  WebhookSender sender(loop.context, kLoop, WebhookOptions{3, 50ms, 2000ms});
  auto [identity, take] = loop.receive();
  CHECK(take["method"] == "broker.webhooks.take");
  CHECK(take["params"]["limit"] == 100);
  loop.answer(identity, take, json{{"deliveries", json::array({delivery(receiver.url())})}});
  json done = loop.next_done();
  CHECK_FALSE(done.contains("id"));  // a notification
  CHECK(done["params"] == json{{"id", "00000000000000a1"}, {"ended_at", 1795437582126}, {"delivered", true}});
  REQUIRE(receiver.received() == 2);
  CHECK(receiver.body(1) == delivery("")["body"]);
}

TEST_CASE("a delivery never answered 2xx gives up after its attempts and is reported failed" * doctest::timeout(30)) {
  FakeLoop loop;
  WebhookReceiver receiver({503});
  WebhookSender sender(loop.context, kLoop, WebhookOptions{3, 20ms, 2000ms});
  auto [identity, take] = loop.receive();
  loop.answer(identity, take, json{{"deliveries", json::array({delivery(receiver.url())})}});
  json done = loop.next_done();
  CHECK(done["params"]["delivered"] == false);
  CHECK(receiver.received() == 3);
}

TEST_CASE("a receiver that is not there counts as a failed attempt" * doctest::timeout(30)) {
  FakeLoop loop;
  WebhookSender sender(loop.context, kLoop, WebhookOptions{2, 20ms, 500ms});
  auto [identity, take] = loop.receive();
  loop.answer(identity, take,
              json{{"deliveries", json::array({delivery("http://127.0.0.1:" + std::to_string(free_port()) + "/")})}});
  CHECK(loop.next_done()["params"]["delivered"] == false);
}

TEST_CASE("the sender stops promptly with a delivery waiting for its next attempt" * doctest::timeout(30)) {
  FakeLoop loop;
  WebhookReceiver receiver({500});
  auto started = std::chrono::steady_clock::now();
  {
    WebhookSender sender(loop.context, kLoop, WebhookOptions{5, 60000ms, 2000ms});
    auto [identity, take] = loop.receive();
    loop.answer(identity, take, json{{"deliveries", json::array({delivery(receiver.url())})}});
    CHECK(zerotask::testing::wait_until([&] { return receiver.received() == 1; }));
  }
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

// zerotask::Client and TaskFuture across broker restarts: requests in flight are
// sent again once the connection is back, submissions with the same idempotency key,
// and with the broker gone for good they fail before their deadlines.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "client_test_helpers.hpp"
#include "fake_broker.hpp"
#include "test_support.hpp"
#include "zerotask/client.hpp"

using namespace std::chrono_literals;
using zerotask::json;
using zerotask::testing::FakeBroker;
using zerotask::testing::quick_options;
using zerotask::testing::restart;
using zerotask::testing::wait_until;

TEST_CASE("a call in flight across a broker restart gets its result, and the broker makes one task" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  auto call = std::async(std::launch::async, [&] { return client.call("slow", 1); });
  REQUIRE(wait_until([&] { return broker.tasks_of("slow").size() == 1; }, 5s));
  std::string id = broker.tasks_of("slow").front();
  restart(broker);
  REQUIRE(wait_until([&] { return broker.requests("task.submit") == 2; }, 5s));
  broker.finish(id, "once");
  REQUIRE(call.wait_for(5s) == std::future_status::ready);
  CHECK(call.get() == "once");
  CHECK(broker.tasks_of("slow").size() == 1);
  CHECK(broker.last_params("task.submit")["idempotency_key"] == broker.task(id)["idempotency_key"]);
}

TEST_CASE("a call and a future waiting when the broker is shut down get their results from the restarted broker" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  auto call = std::async(std::launch::async, [&] { return client.call("slow", 1); });
  zerotask::TaskFuture future = client.submit("slow", 2);
  REQUIRE(wait_until([&] { return broker.tasks_of("slow").size() == 2 && broker.requests("task.wait") == 1; }, 5s));
  broker.stop_gracefully();
  std::this_thread::sleep_for(200ms);
  broker.start();
  REQUIRE(wait_until([&] { return broker.requests("task.submit") == 3 && broker.requests("task.wait") == 2; }, 5s));
  broker.finish_all("slow", [](const json& params) { return params.at(0); });
  REQUIRE(call.wait_for(5s) == std::future_status::ready);
  CHECK(call.get() == 1);
  REQUIRE(future.wait(5s));
  CHECK(future.result() == 2);
  CHECK(broker.tasks_of("slow").size() == 2);
}

TEST_CASE("a submission whose answer was lost is sent again with its key and the future follows the one task" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  broker.drop_answers_to("task.submit");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("slow");
  REQUIRE(wait_until([&] { return broker.tasks_of("slow").size() == 1; }, 5s));
  restart(broker);
  CHECK(future.id() == broker.tasks_of("slow").front());
  CHECK(broker.requests("task.submit") == 2);
  CHECK(broker.tasks_of("slow").size() == 1);
  broker.finish(future.id(), "once");
  REQUIRE(future.wait(5s));
  CHECK(future.result() == "once");
}

TEST_CASE("a future waiting across a broker restart gets its result" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("slow");
  REQUIRE(wait_until([&] { return broker.requests("task.wait") == 1; }, 5s));
  restart(broker);
  REQUIRE(wait_until([&] { return broker.requests("task.wait") == 2; }, 5s));
  broker.finish(future.id(), "after");
  REQUIRE(future.wait(5s));
  CHECK(future.result() == "after");
}

TEST_CASE("other requests in flight across a broker restart are sent again and answered" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.drop_answers_to("broker.stats");
  zerotask::Client client(broker.endpoint(), quick_options());

  auto stats = std::async(std::launch::async, [&] { return client.request("broker.stats"); });
  REQUIRE(wait_until([&] { return broker.requests("broker.stats") == 1; }, 5s));
  restart(broker);
  REQUIRE(stats.wait_for(5s) == std::future_status::ready);
  CHECK(stats.get()["store"] == "fake");
  CHECK(broker.requests("broker.stats") == 2);
}

TEST_CASE("a request whose deadline passes before the broker was ever reached fails as unreachable" *
          doctest::timeout(30)) {
  zerotask::ClientOptions options = quick_options();
  options.connect_timeout = 5s;
  std::string endpoint = zerotask::testing::free_tcp_endpoint();
  zerotask::Client client(endpoint, options);
  try {
    client.request("broker.ping", nullptr, 300ms);
    FAIL("the request did not throw");
  } catch (const zerotask::BrokerUnreachable& error) {
    CHECK(std::string(error.what()) == "cannot reach the broker at " + endpoint + " within 300 ms");
  }
}

TEST_CASE("with the broker gone for good, a call and a future in flight fail before their deadlines" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::ClientOptions options = quick_options();
  options.connect_timeout = 300ms;
  options.call_timeout = 10s;
  zerotask::Client client(broker.endpoint(), options);

  zerotask::TaskFuture future = client.submit("slow");
  auto call = std::async(std::launch::async, [&] { return client.call("slow"); });
  REQUIRE(wait_until([&] { return broker.tasks_of("slow").size() == 2; }, 5s));
  auto stopped = std::chrono::steady_clock::now();
  broker.stop();

  REQUIRE(call.wait_for(5s) == std::future_status::ready);
  try {
    call.get();
    FAIL("call did not throw");
  } catch (const zerotask::BrokerUnreachable& error) {
    CHECK(std::string(error.what()) == "cannot reach the broker at " + broker.endpoint());
  }
  REQUIRE(future.wait(5s));
  CHECK_THROWS_AS(future.result(), zerotask::BrokerUnreachable);
  auto waited = std::chrono::steady_clock::now() - stopped;
  CHECK(waited >= 300ms);
  CHECK(waited < 3s);
}

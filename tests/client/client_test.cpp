// zerotask::Client against a fake broker: blocking calls, submission options and
// idempotency keys, raw requests, error mapping, timeouts and an unreachable broker.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client_test_helpers.hpp"
#include "fake_broker.hpp"
#include "test_support.hpp"
#include "zerotask/client.hpp"
#include "zerotask/rpc_error.hpp"

using namespace std::chrono_literals;
using zerotask::json;
using zerotask::testing::add;
using zerotask::testing::FakeBroker;
using zerotask::testing::quick_options;
using zerotask::testing::restart;
using zerotask::testing::wait_until;

namespace {

zerotask::CallOptions requiring_node() {
  zerotask::CallOptions options;
  options.require_node = true;
  return options;
}

zerotask::CallOptions timing_out_after(std::chrono::milliseconds timeout) {
  zerotask::CallOptions options;
  options.timeout = timeout;
  return options;
}

}  // namespace

TEST_CASE("call returns the result the broker answers with" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  CHECK(client.call("add", 5, 6) == json(11));
  CHECK(client.call_params("add", json::array({1, 2})) == json(3));
  CHECK(client.broker_endpoint() == broker.endpoint());
}

TEST_CASE("call sends task.submit with the function, its params, wait and require_node" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  client.call_params("add", json::array({2, 3}), requiring_node());
  json params = broker.last_params("task.submit");
  CHECK(params["function"] == "add");
  CHECK(params["params"] == json::array({2, 3}));
  CHECK(params["wait"] == true);
  CHECK(params["require_node"] == true);
}

TEST_CASE("call and submit send max_retries, timeout_ms and the caller's idempotency key" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::CallOptions call;
  call.max_retries = 0;
  call.task_timeout = 1500ms;
  call.idempotency_key = "call-1";
  client.call_params("add", json::array({1, 1}), call);
  json params = broker.last_params("task.submit");
  CHECK(params["max_retries"] == 0);
  CHECK(params["timeout_ms"] == 1500);
  CHECK(params["idempotency_key"] == "call-1");

  zerotask::SubmitOptions submit;
  submit.max_retries = 7;
  submit.task_timeout = 20ms;
  submit.idempotency_key = "submit-1";
  REQUIRE(client.submit_params("add", json::array({2, 2}), submit).wait(5s));
  params = broker.last_params("task.submit");
  CHECK(params["max_retries"] == 7);
  CHECK(params["timeout_ms"] == 20);
  CHECK(params["idempotency_key"] == "submit-1");

  client.call("add", 3, 3);
  params = broker.last_params("task.submit");
  CHECK_FALSE(params.contains("max_retries"));
  CHECK_FALSE(params.contains("timeout_ms"));
}

TEST_CASE("submit sends queue, priority, schedule, dependencies, uniqueness and result_ttl_ms when set" *
          doctest::timeout(30)) {
  FakeBroker broker;
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::SubmitOptions options;
  options.queue = "images";
  options.priority = 7;
  options.eta = std::chrono::system_clock::time_point(1795437582123ms);
  options.depends_on = {"0000d1f5c2a40001", "0000d1f5c2a40002"};
  options.on_dependency_failure = zerotask::DependencyFailure::Run;
  options.pass_results = zerotask::PassResults::List;
  options.unique = true;
  options.result_ttl = 60000ms;
  client.submit_params("resize", json::array({1}), options).id();
  json params = broker.last_params("task.submit");
  CHECK(params["queue"] == "images");
  CHECK(params["priority"] == 7);
  CHECK(params["eta"] == 1795437582123);
  CHECK_FALSE(params.contains("countdown_ms"));
  CHECK(params["depends_on"] == json::array({"0000d1f5c2a40001", "0000d1f5c2a40002"}));
  CHECK(params["on_dependency_failure"] == "run");
  CHECK(params["pass_results"] == "list");
  CHECK(params["unique"] == true);
  CHECK(params["result_ttl_ms"] == 60000);

  zerotask::SubmitOptions later;
  later.countdown = 1500ms;
  later.pass_results = zerotask::PassResults::Prepend;
  client.submit_params("resize", json::array({2}), later).id();
  params = broker.last_params("task.submit");
  CHECK(params["countdown_ms"] == 1500);
  CHECK(params["pass_results"] == "prepend");
  CHECK_FALSE(params.contains("eta"));
}

TEST_CASE("options left unset are not sent" * doctest::timeout(30)) {
  FakeBroker broker;
  zerotask::Client client(broker.endpoint(), quick_options());

  client.submit("resize", 1).id();
  json params = broker.last_params("task.submit");
  for (const char* field : {"queue", "priority", "countdown_ms", "eta", "depends_on", "on_dependency_failure",
                            "pass_results", "unique", "result_ttl_ms", "require_node", "max_retries", "timeout_ms"}) {
    CAPTURE(field);
    CHECK_FALSE(params.contains(field));
  }
  CHECK(params["params"] == json::array({1}));
}

TEST_CASE("every submission carries an idempotency key of its own" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());
  zerotask::Client other(broker.endpoint(), quick_options());

  std::set<json> keys;
  auto key_sent = [&] {
    json key = broker.last_params("task.submit")["idempotency_key"];
    CHECK(key.is_string());
    keys.insert(key);
  };
  client.call("add", 1, 2);
  key_sent();
  REQUIRE(client.submit("add", 1, 2).wait(5s));
  key_sent();
  client.request("task.submit", {{"function", "add"}, {"params", {1, 2}}});
  key_sent();
  other.call("add", 1, 2);
  key_sent();
  CHECK(keys.size() == 4);

  json tasks = json::array({{{"function", "later"}}, {{"function", "later"}}});
  CHECK(client.request("task.submit_many", {{"tasks", tasks}})["ids"].size() == 2);
  json entries = broker.last_params("task.submit_many")["tasks"];
  REQUIRE(entries.size() == 2);
  CHECK(entries[0]["idempotency_key"].is_string());
  CHECK(entries[0]["idempotency_key"] != entries[1]["idempotency_key"]);
}

TEST_CASE("submissions with an idempotency key already used follow the first task" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::SubmitOptions once;
  once.idempotency_key = "order-42";
  zerotask::TaskFuture first = client.submit_params("slow", json::array({1}), once);
  zerotask::TaskFuture second = client.submit_params("slow", json::array({2}), once);
  CHECK(second.id() == first.id());
  CHECK(broker.tasks_of("slow").size() == 1);

  zerotask::CallOptions call;
  call.idempotency_key = "order-42";
  auto waiting = std::async(std::launch::async, [&] { return client.call_params("slow", json::array({3}), call); });
  REQUIRE(wait_until([&] { return broker.requests("task.submit") == 3; }, 5s));
  broker.finish(first.id(), "done once");
  REQUIRE(waiting.wait_for(5s) == std::future_status::ready);
  CHECK(waiting.get() == "done once");
  REQUIRE(second.wait(5s));
  CHECK(second.result() == "done once");
  CHECK(broker.tasks_of("slow").size() == 1);
}

TEST_CASE("a failed task is thrown as TaskFailed with its code, message and data" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("fail", [](const json&) -> json {
    throw zerotask::RpcError(zerotask::rpc::kTaskFailed, "boom", {{"type", "std::runtime_error"}});
  });
  zerotask::Client client(broker.endpoint(), quick_options());

  try {
    client.call("fail");
    FAIL("call did not throw");
  } catch (const zerotask::TaskFailed& error) {
    CHECK(std::string(error.what()) == "boom");
    CHECK(error.code() == zerotask::rpc::kTaskFailed);
    CHECK(error.data()["type"] == "std::runtime_error");
    CHECK(error.data()["task"].is_string());
  }
}

TEST_CASE("a call whose task ran past its timeout is thrown as TaskFailed with code timed_out" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::CallOptions options;
  options.task_timeout = 100ms;
  auto call = std::async(std::launch::async, [&] { return client.call_params("slow", json::array(), options); });
  REQUIRE(wait_until([&] { return !broker.tasks_of("slow").empty(); }, 5s));
  std::string id = broker.tasks_of("slow").front();
  broker.fail(id, {zerotask::rpc::kTimedOut, "task timed out after 100 ms", {{"type", "zerotask::TimedOut"}}});
  REQUIRE(call.wait_for(5s) == std::future_status::ready);
  try {
    call.get();
    FAIL("call did not throw");
  } catch (const zerotask::TaskFailed& error) {
    CHECK(std::string(error.what()) == "task timed out after 100 ms");
    CHECK(error.code() == zerotask::rpc::kTimedOut);
    CHECK(error.data()["task"] == id);
  }
}

TEST_CASE("overloaded and store_unavailable are thrown as BrokerBusy with the broker's data" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  broker.refuse("task.submit",
                {zerotask::rpc::kOverloaded, "too many tasks waiting", {{"limit", "max_queued"}, {"value", 1000000}}});
  try {
    client.call("add", 1, 2);
    FAIL("call did not throw");
  } catch (const zerotask::BrokerBusy& error) {
    CHECK(std::string(error.what()) == "too many tasks waiting");
    CHECK(error.code() == zerotask::rpc::kOverloaded);
    CHECK(error.data()["limit"] == "max_queued");
  }
  zerotask::TaskFuture refused = client.submit("add", 1, 2);
  CHECK_THROWS_AS(refused.id(), zerotask::BrokerBusy);

  broker.refuse("task.submit", {zerotask::rpc::kStoreUnavailable, "the store cannot write", nullptr});
  try {
    client.request("task.submit", {{"function", "add"}});
    FAIL("request did not throw");
  } catch (const zerotask::BrokerBusy& error) {
    CHECK(error.code() == zerotask::rpc::kStoreUnavailable);
  }
  // Still a ProtocolError, for code that catches refusals as one.
  CHECK_THROWS_AS(client.call("add", 1, 2), zerotask::ProtocolError);
}

TEST_CASE("a cancelled task is thrown as Cancelled" * doctest::timeout(30)) {
  FakeBroker broker;
  zerotask::Client client(broker.endpoint(), quick_options());

  auto call = std::async(std::launch::async, [&] { return client.call("nobody"); });
  REQUIRE(wait_until([&] { return !broker.tasks_of("nobody").empty(); }, 5s));
  client.request("task.cancel", {{"id", broker.tasks_of("nobody").front()}});
  REQUIRE(call.wait_for(5s) == std::future_status::ready);
  CHECK_THROWS_AS(call.get(), zerotask::Cancelled);
}

TEST_CASE("a refused call is thrown as ProtocolError keeping the broker's code" * doctest::timeout(30)) {
  FakeBroker broker;
  zerotask::Client client(broker.endpoint(), quick_options());

  try {
    client.call_params("missing", json::array(), requiring_node());
    FAIL("call did not throw");
  } catch (const zerotask::ProtocolError& error) {
    CHECK(error.code() == zerotask::rpc::kNoNode);
    CHECK(std::string(error.what()) == "no node serves 'missing'");
  }
}

TEST_CASE("a call of a function no node serves times out saying so" * doctest::timeout(30)) {
  FakeBroker broker;
  zerotask::Client client(broker.endpoint(), quick_options());

  auto started = std::chrono::steady_clock::now();
  try {
    client.call_params("nobody", json::array(), timing_out_after(300ms));
    FAIL("call did not throw");
  } catch (const zerotask::TimedOut& error) {
    CHECK(error.code() == zerotask::rpc::kTimedOut);
    CHECK(std::string(error.what()) == "call of 'nobody' timed out after 300 ms: no node serves 'nobody'");
  }
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  CHECK(broker.requests("broker.functions") == 1);
}

TEST_CASE("a call that times out while a node serves the function does not blame the nodes" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  try {
    client.call_params("slow", json::array(), timing_out_after(200ms));
    FAIL("call did not throw");
  } catch (const zerotask::TimedOut& error) {
    CHECK(std::string(error.what()) == "call of 'slow' timed out after 200 ms");
  }
}

TEST_CASE("a broker nothing listens for fails requests with BrokerUnreachable in bounded time" * doctest::timeout(30)) {
  std::string endpoint = zerotask::testing::free_tcp_endpoint();
  zerotask::ClientOptions options = quick_options();
  options.connect_timeout = 300ms;
  zerotask::Client client(endpoint, options);

  auto started = std::chrono::steady_clock::now();
  try {
    client.call("add", 1, 2);
    FAIL("call did not throw");
  } catch (const zerotask::BrokerUnreachable& error) {
    CHECK(std::string(error.what()) == "cannot reach the broker at " + endpoint);
    CHECK(error.code() == zerotask::kNoProtocolCode);
  }
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 300ms);
  CHECK(waited < 2s);
  CHECK_THROWS_AS(client.request("broker.stats"), zerotask::BrokerUnreachable);
  zerotask::TaskFuture future = client.submit("add", 1, 2);
  CHECK_THROWS_AS(future.id(), zerotask::BrokerUnreachable);
  CHECK_THROWS_AS(future.result(), zerotask::BrokerUnreachable);
}

TEST_CASE("a request waits for a broker that starts within the connect timeout" * doctest::timeout(30)) {
  std::string endpoint = zerotask::testing::free_tcp_endpoint();
  zerotask::ClientOptions options = quick_options();
  options.connect_timeout = 5000ms;
  zerotask::Client client(endpoint, options);

  auto starter = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(500ms);
    return std::make_unique<FakeBroker>(endpoint);
  });
  CHECK(client.request("broker.stats")["store"] == "fake");
  CHECK(starter.get() != nullptr);
}

TEST_CASE("request returns results and throws JSON-RPC errors as ProtocolError" * doctest::timeout(30)) {
  FakeBroker broker;
  zerotask::Client client(broker.endpoint(), quick_options());

  CHECK(client.request("broker.stats")["store"] == "fake");
  try {
    client.request("broker.nothing", json::object());
    FAIL("request did not throw");
  } catch (const zerotask::ProtocolError& error) {
    CHECK(error.code() == zerotask::rpc::kMethodNotFound);
  }
  try {
    client.request("task.get", {{"id", "00000000000000ff"}});
    FAIL("request did not throw");
  } catch (const zerotask::ProtocolError& error) {
    CHECK(error.code() == zerotask::rpc::kNotFound);
    CHECK(std::string(error.what()) == "no task 00000000000000ff");
  }
}

TEST_CASE("a request that gets no answer times out after its own timeout" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());
  std::string id = client.submit("slow").id();

  auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(client.request("task.wait", {{"id", id}, {"timeout_ms", 60000}}, 200ms), zerotask::TimedOut);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("answers that come back out of order reach their own callers" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("echo");
  zerotask::Client client(broker.endpoint(), quick_options());

  constexpr int kCalls = 8;
  std::vector<std::future<json>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::async(std::launch::async, [&client, i] { return client.call("echo", i); }));
  }
  REQUIRE(wait_until([&] { return broker.tasks_of("echo").size() == kCalls; }, 10s));
  // Newest first: the answers come back in the reverse order of the calls.
  broker.finish_all("echo", [](const json& params) { return params[0]; });
  for (int i = 0; i < kCalls; ++i) CHECK(calls[i].get() == json(i));
}

TEST_CASE("malformed and unmatched answers are ignored" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  broker.send_garbage_before_answers();
  zerotask::Client client(broker.endpoint(), quick_options());

  for (int i = 0; i < 5; ++i) CHECK(client.call("add", i, 1) == json(i + 1));
}

TEST_CASE("many threads share one client for blocking calls" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  std::vector<std::future<int>> callers;
  for (int t = 0; t < 4; ++t) {
    callers.push_back(std::async(std::launch::async, [&client, t] {
      int correct = 0;
      for (int i = 0; i < 250; ++i) {
        if (client.call("add", t, i) == json(t + i)) ++correct;
      }
      return correct;
    }));
  }
  int correct = 0;
  for (auto& caller : callers) correct += caller.get();
  CHECK(correct == 1000);
}

TEST_CASE("a direct call in flight when the connection drops fails at once, as sending it again could run it twice" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  auto started = std::chrono::steady_clock::now();
  auto call = std::async(std::launch::async, [&] { return client.request("slow", json::array()); });
  REQUIRE(wait_until([&] { return !broker.tasks_of("slow").empty(); }, 5s));
  restart(broker);
  REQUIRE(call.wait_for(5s) == std::future_status::ready);
  try {
    call.get();
    FAIL("call did not throw");
  } catch (const zerotask::BrokerUnreachable& error) {
    CHECK(std::string(error.what()) == "lost the connection to the broker at " + broker.endpoint());
  }
  CHECK(std::chrono::steady_clock::now() - started < 4s);
  CHECK(broker.requests("slow") == 1);
  // The client reconnects by itself.
  CHECK(client.call("add", 2, 2) == json(4));
}

TEST_CASE("a client refuses an endpoint ZeroMQ cannot connect to" * doctest::timeout(30)) {
  CHECK_THROWS_AS(zerotask::Client("nonsense"), std::invalid_argument);
  zerotask::ClientOptions no_time;
  no_time.connect_timeout = 0ms;
  CHECK_THROWS_AS(zerotask::Client("tcp://127.0.0.1:5555", no_time), std::invalid_argument);
}

TEST_CASE("a bind address given as the broker endpoint reaches the broker on 127.0.0.1" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  std::string bind_address = "tcp://*:" + broker.endpoint().substr(broker.endpoint().rfind(':') + 1);
  zerotask::Client client(bind_address, quick_options());

  CHECK(client.broker_endpoint() == broker.endpoint());
  CHECK(client.call("add", 1, 1) == json(2));
}

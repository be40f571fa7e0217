// Webhooks (docs/HTTP.md) through the real broker and node executables: a task's
// final state POSTed to its callback_url, with or without --http; retries until the
// receiver answers 2xx or the attempts run out; and a delivery the broker had not
// made before a restart, made after it from the SQLite store.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>

#include "http_fixture.hpp"
#include "zerotask/client.hpp"
#include "zerotask/curve.hpp"

using namespace zerotask::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The task once its callback is no longer pending, read over the request endpoint.
json when_delivered(zerotask::Client& client, const std::string& id) {
  json task;
  bool settled = wait_until(
      [&] {
        task = client.request("task.get", {{"id", id}});
        return task.contains("callback") && task["callback"] != "pending";
      },
      20s);
  INFO(task.dump());
  REQUIRE(settled);
  return task;
}

}  // namespace

TEST_CASE("a task's result is POSTed to its callback_url, without --http too" * doctest::timeout(60)) {
  SystemFixture system;
  system.start_broker();
  system.start_node("n1");
  WebhookReceiver receiver({200});
  zerotask::Client client(system.endpoint);
  std::string id =
      client.request("task.submit", {{"function", "add"}, {"params", {1, 2}}, {"callback_url", receiver.url()}})["id"];
  REQUIRE(wait_until([&] { return receiver.received() == 1; }));
  CHECK(receiver.body(0) == json{{"id", id}, {"state", "SUCCEEDED"}, {"function", "add"}, {"result", 3}});
  json task = when_delivered(client, id);
  CHECK(task["callback"] == "delivered");
  CHECK(task["callback_url"] == receiver.url());
  CHECK(receiver.received() == 1);
}

TEST_CASE("a failing receiver gets the callback again until it answers 2xx" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker({"--webhook-backoff-ms", "50"});
  system.start_node("n1");
  WebhookReceiver receiver({500, 404, 204});
  json body = {{"function", "fail"}, {"params", {"boom"}}, {"max_retries", 0}, {"callback_url", receiver.url()}};
  std::string id = json_of(system.post("/tasks", body.dump()), 201)["id"];
  zerotask::Client client(system.endpoint);
  json task = when_delivered(client, id);
  CHECK(task["callback"] == "delivered");
  CHECK(receiver.received() == 3);
  json delivered = receiver.body(2);
  CHECK(delivered["state"] == "FAILED");
  CHECK(delivered["error"]["message"] == "boom");
  CHECK(delivered["function"] == "fail");
  auto metrics = system.get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("\nzerotask_webhooks_delivered_total 1\n") != std::string::npos);
}

TEST_CASE("a receiver that never answers 2xx gets --webhook-attempts POSTs and the delivery is failed" *
          doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker({"--webhook-backoff-ms", "20", "--webhook-attempts", "3"});
  system.start_node("n1");
  WebhookReceiver receiver({500});
  json body = {{"function", "add"}, {"params", {2, 2}}, {"callback_url", receiver.url()}};
  std::string id = json_of(system.post("/tasks", body.dump()), 201)["id"];
  zerotask::Client client(system.endpoint);
  CHECK(when_delivered(client, id)["callback"] == "failed");
  CHECK(receiver.received() == 3);
  std::this_thread::sleep_for(200ms);
  CHECK(receiver.received() == 3);
  auto metrics = system.get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("\nzerotask_webhooks_failed_total 1\n") != std::string::npos);
  CHECK(metrics->body.find("\nzerotask_webhooks_pending 0\n") != std::string::npos);
}

TEST_CASE("a callback not delivered before a restart is delivered after it from the SQLite store" *
          doctest::timeout(90)) {
  TempDir dir;
  SystemFixture system;
  const std::vector<std::string> durable = {"--store", dir.file("tasks.db"), "--webhook-backoff-ms", "60000"};
  system.start_broker(durable);
  system.start_node("n1");
  const int port = free_port();  // nobody listens there yet: the first attempt fails
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  std::string id;
  {
    zerotask::Client client(system.endpoint);
    id = client.request("task.submit", {{"function", "add"}, {"params", {40, 2}}, {"callback_url", url}})["id"];
    REQUIRE(wait_until([&] {
      json task = client.request("task.get", {{"id", id}});
      return task["state"] == "SUCCEEDED" && task["callback"] == "pending";
    }));
  }
  std::this_thread::sleep_for(300ms);  // the first attempt is made, the next is a minute away
  system.broker->signal(SIGTERM);
  REQUIRE(system.broker->wait(20s) == 0);

  WebhookReceiver receiver({200}, port);
  system.start_broker(durable);
  REQUIRE(wait_until([&] { return receiver.received() == 1; }, 20s));
  CHECK(receiver.body(0) == json{{"id", id}, {"state", "SUCCEEDED"}, {"function", "add"}, {"result", 42}});
  zerotask::Client client(system.endpoint);
  CHECK(when_delivered(client, id)["callback"] == "delivered");
}

TEST_CASE("a broker that requires CURVE still serves its HTTP gateway and delivers webhooks" * doctest::timeout(60)) {
  TempDir dir;
  zerotask::KeyPair broker_pair = zerotask::generate_key_pair();
  zerotask::KeyPair admin = zerotask::generate_key_pair();
  std::ofstream(dir.file("broker.key")) << zerotask::secret_key_file_text(broker_pair);
  json keys = {{"keys", json::array({{{"name", "ops"}, {"public_key", admin.public_key}, {"role", "admin"}}})}};
  std::ofstream(dir.file("keys.json")) << keys.dump();
  HttpSystem system;
  system.peer_curve = zerotask::CurveCredentials{admin, broker_pair.public_key};
  // The gateway and the webhook sender reach the loop over inproc, without keys.
  system.start_http_broker({"--keys", dir.file("keys.json"), "--curve-key", dir.file("broker.key")});
  WebhookReceiver receiver({200});
  json body = {{"function", "unserved"}, {"callback_url", receiver.url()}};
  std::string id = json_of(system.post("/tasks", body.dump()), 201)["id"];
  CHECK(json_of(system.del("/tasks/" + id), 200)["state"] == "CANCELLED");
  REQUIRE(wait_until([&] { return receiver.received() == 1; }));
  CHECK(receiver.body(0)["state"] == "CANCELLED");
  CHECK_FALSE(system.result_of("task.get", {{"id", id}}).contains("submitter"));
}

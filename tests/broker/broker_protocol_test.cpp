#include <doctest/doctest.h>

#include <optional>
#include <thread>

#include "raw_peer.hpp"
#include "test_support.hpp"
#include "zerotask/broker.hpp"
#include "zerotask/rpc_error.hpp"

using namespace zerotask;
using zerotask::testing::RawPeer;
using namespace std::chrono_literals;

namespace {

BrokerConfig config_for(const std::string& endpoint) {
  BrokerConfig config;
  config.endpoint = endpoint;
  config.store = "memory";
  config.max_message_bytes = 256 * 1024;
  config.max_depth = 32;
  return config;
}

// A broker serving on a free endpoint in a background thread for one test.
struct RunningBroker {
  explicit RunningBroker(std::function<void(Broker&)> setup = nullptr)
      : RunningBroker(config_for(zerotask::testing::free_tcp_endpoint()), std::move(setup)) {}
  explicit RunningBroker(const BrokerConfig& config, std::function<void(Broker&)> setup = nullptr)
      : endpoint(config.endpoint), broker(config) {
    if (setup) setup(broker);
    thread = std::thread([this] { broker.run(); });
  }
  ~RunningBroker() {
    broker.stop();
    thread.join();
  }
  std::string endpoint;
  Broker broker;
  std::thread thread;
};

json error_of(const json& response) {
  REQUIRE(response.contains("error"));
  return response["error"];
}

}  // namespace

TEST_CASE("broker.ping answers with the epoch and the version" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  json response = peer.call("broker.ping");
  CHECK(response["result"]["pong"] == true);
  CHECK(response["result"]["epoch"].get<std::string>().size() == 16);
}

TEST_CASE("a REQ peer gets its reply through the envelope it sent" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint, zmq::socket_type::req);
  CHECK(peer.call("broker.ping")["result"]["pong"] == true);
  CHECK(peer.call("broker.stats")["result"]["store"] == "memory");
}

TEST_CASE("every kind of malformed message gets its documented error and the broker keeps serving" *
          doctest::timeout(30)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  struct Case {
    std::string body;
    int code;
    std::string message;
  };
  std::vector<Case> cases = {
      {"{not json", rpc::kParseError, "malformed JSON"},
      {"42", rpc::kInvalidRequest, "a JSON object or a batch"},
      {"[]", rpc::kInvalidRequest, "empty batch"},
      {R"({"jsonrpc":"1.0","id":1,"method":"broker.ping"})", rpc::kInvalidRequest, "jsonrpc must be"},
      {R"({"jsonrpc":"2.0","id":1})", rpc::kInvalidRequest, "exactly one of result and error"},
      {R"({"jsonrpc":"2.0","id":1,"method":7})", rpc::kInvalidRequest, "method must be a string"},
      {R"({"jsonrpc":"2.0","id":1,"method":"add","params":5})", rpc::kInvalidRequest, "params must be"},
      {R"({"jsonrpc":"2.0","id":1,"method":"task.get","params":[1]})", rpc::kInvalidParams, "params must be an object"},
      {R"({"jsonrpc":"2.0","id":1,"method":"task.get","params":{"id":5}})", rpc::kInvalidParams, "id must be a string"},
      {R"({"jsonrpc":"2.0","id":1,"method":"task.submit","params":{}})", rpc::kInvalidParams, "function is required"},
      {R"({"jsonrpc":"2.0","id":1,"method":"task.wait","params":{"id":"0000000000000001","timeout_ms":-1}})",
       rpc::kInvalidParams, "timeout_ms must be between"},
      {R"({"jsonrpc":"2.0","id":1,"method":"task.nope"})", rpc::kMethodNotFound, "method not found"},
      {R"({"jsonrpc":"2.0","id":1,"method":"rpc.discover"})", rpc::kMethodNotFound, "method not found"},
      {R"({"jsonrpc":"2.0","id":1,"method":"task.get","params":{"id":"00000000000000ff"}})", rpc::kNotFound, "no task"},
      {R"({"jsonrpc":"2.0","id":1,"method":"node.heartbeat"})", rpc::kUnknownNode, "unknown node"},
      {R"({"jsonrpc":"2.0","id":1,"method":"task.submit","params":{"function":"add","require_node":true}})",
       rpc::kNoNode, "no node serves 'add'"},
      {R"({"jsonrpc":"2.0","id":1,"method":"task.list","params":{"offset":18446744073709551615}})", rpc::kInvalidParams,
       "offset must be between"},
      {R"({"jsonrpc":"2.0","id":1,"method":"node.hello","params":{"node":"n","functions":["f"]}})", rpc::kInvalidParams,
       "slots is required"},
      {R"({"jsonrpc":"2.0","id":1,"method":")" + std::string(200, 'f') + R"("})", rpc::kInvalidParams,
       "a function name must be 1 to 128 bytes"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    peer.send_text(c.body);
    json error = error_of(peer.receive());
    CHECK(error["code"] == c.code);
    CHECK(error["message"].get<std::string>().find(c.message) != std::string::npos);
  }
  CHECK(peer.call("broker.ping")["result"]["pong"] == true);
}

TEST_CASE("a 100,000-deep array is refused as a parse error without parsing it" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  peer.send_text(std::string(100000, '[') + std::string(100000, ']'));
  json error = error_of(peer.receive());
  CHECK(error["code"] == rpc::kParseError);
  CHECK(error["message"] == "JSON nested deeper than 32");
}

TEST_CASE("an oversized message drops that connection while other peers are still served" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer bystander(context, running.endpoint);
  RawPeer offender(context, running.endpoint);
  CHECK(offender.call("broker.ping")["result"]["pong"] == true);
  offender.send_text(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[")" + std::string(300 * 1024, 'x') + "\"]}");
  CHECK_FALSE(offender.receive_text(300ms).has_value());
  CHECK(bystander.call("broker.ping")["result"]["pong"] == true);
  CHECK(bystander.call("broker.stats")["result"]["submitted"] == 0);
}

TEST_CASE("a batch is answered with one array holding a response per request" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  peer.send_text(R"([{"jsonrpc":"2.0","id":1,"method":"broker.ping"},
                     {"jsonrpc":"2.0","method":"broker.ping"},
                     {"jsonrpc":"2.0","id":2,"method":"task.nope","params":{"a":1}},
                     {"jsonrpc":"2.0","id":3,"method":"broker.unknown"},
                     5])");
  json responses = peer.receive();
  REQUIRE(responses.is_array());
  REQUIRE(responses.size() == 4);
  CHECK(responses[0]["result"]["pong"] == true);
  CHECK(responses[2]["error"]["code"] == rpc::kMethodNotFound);
  CHECK(responses[3]["error"]["code"] == rpc::kInvalidRequest);
  CHECK(responses[1]["id"] == 2);
  CHECK_FALSE(responses[1].contains("result"));
}

TEST_CASE("a node over raw JSON-RPC receives a task, returns its result and the caller gets it" *
          doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer node(context, running.endpoint);
  RawPeer client(context, running.endpoint);
  json hello = node.call("node.hello", {{"node", "raw-node"}, {"functions", {"add"}}, {"slots", 1}});
  CHECK(hello["result"]["heartbeat_ms"] == 1000);
  CHECK(hello["result"]["max_depth"] == 32);
  CHECK(hello["result"]["max_message_bytes"] == 256 * 1024);
  client.send(json{{"jsonrpc", "2.0"}, {"id", "call-1"}, {"method", "add"}, {"params", {2, 3}}});
  json run = node.receive();
  CHECK(run["method"] == "node.run");
  json task = run["params"]["tasks"][0];
  CHECK(task["params"] == json::array({2, 3}));
  node.send(json{{"jsonrpc", "2.0"},
                 {"method", "node.done"},
                 {"params", {{"results", {{{"id", task["id"]}, {"attempt", task["attempt"]}, {"result", 5}}}}}}});
  CHECK(client.receive() == json{{"jsonrpc", "2.0"}, {"id", "call-1"}, {"result", 5}});
  json got = client.call("task.get", {{"id", task["id"]}});
  CHECK(got["result"]["state"] == "SUCCEEDED");
  CHECK(got["result"]["node"] == "raw-node");
}

TEST_CASE("a task handed to a node that has gone is queued again without a failed attempt" *
          doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  std::optional<RawPeer> gone(std::in_place, context, running.endpoint);
  REQUIRE(gone->call("node.hello", {{"node", "gone"}, {"functions", {"echo"}}, {"slots", 1}}).contains("result"));
  gone->socket().set(zmq::sockopt::linger, 0);
  gone.reset();
  // Long enough for the broker's socket to learn the connection is closed; its
  // heartbeat timeout (3 s) is far off.
  std::this_thread::sleep_for(300ms);
  RawPeer client(context, running.endpoint);
  json submitted = client.call("task.submit", {{"function", "echo"}, {"params", {1}}, {"max_retries", 0}});
  const json id = submitted["result"]["id"];
  json task = client.call("task.get", {{"id", id}})["result"];
  CHECK(task["state"] == "QUEUED");
  CHECK(task["retries"] == 0);
  CHECK(task["error"].is_null());
  CHECK(client.call("broker.nodes")["result"]["nodes"].empty());

  // The hand-out goes before the hello's reply (hand-outs precede the commit).
  RawPeer node(context, running.endpoint);
  node.send({{"jsonrpc", "2.0"},
             {"method", "node.hello"},
             {"params", {{"node", "here"}, {"functions", {"echo"}}, {"slots", 1}}}});
  json run = node.receive();
  REQUIRE(run.value("method", "") == "node.run");
  CHECK(run["params"]["tasks"][0]["id"] == id);
}

TEST_CASE("an embedder's custom broker method is called, and built-in names are refused" * doctest::timeout(20)) {
  RunningBroker running([](Broker& broker) {
    broker.register_method("broker.answer", [](const json& params) {
      if (params.is_null()) throw RpcError(rpc::kInvalidParams, "give me a question");
      return json(42);
    });
    broker.register_method("broker.odd", [](const json&) -> json { throw 7; });
    CHECK_THROWS_AS(broker.register_method("broker.ping", [](const json&) { return json(); }), std::invalid_argument);
    CHECK_THROWS_AS(broker.register_method("answer", [](const json&) { return json(); }), std::invalid_argument);
  });
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  CHECK(peer.call("broker.answer", {{"q", "life"}})["result"] == 42);
  CHECK(peer.call("broker.answer")["error"]["message"] == "give me a question");
  CHECK(peer.call("broker.odd")["error"]["code"] == rpc::kInternalError);
  CHECK(peer.call("broker.ping")["result"]["pong"] == true);
}

TEST_CASE("task.submit_many creates every task or none" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  json bad = peer.call("task.submit_many", {{"tasks", {{{"function", "noop"}}, {{"function", 5}}}}});
  CHECK(bad["error"]["message"] == "tasks[1]: function must be a string");
  CHECK(peer.call("broker.stats")["result"]["submitted"] == 0);
  json good = peer.call("task.submit_many", {{"tasks", {{{"function", "noop"}}, {{"function", "noop"}}}}});
  CHECK(good["result"]["ids"].size() == 2);
  json listed = peer.call("task.list", {{"state", "QUEUED"}, {"limit", 1}});
  CHECK(listed["result"]["total"] == 2);
  CHECK(listed["result"]["tasks"].size() == 1);
  CHECK(listed["result"]["tasks"][0]["id"] == good["result"]["ids"][0]);
}

TEST_CASE("task.submit_many names the entry whose params pass the payload limit" * doctest::timeout(20)) {
  BrokerConfig config = config_for(zerotask::testing::free_tcp_endpoint());
  config.max_payload_bytes = 100;
  RunningBroker running(config);
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  std::string large(100, 'x');
  json refused = peer.call("task.submit_many", {{"tasks",
                                                 {{{"function", "noop"}},
                                                  {{"function", "echo"}, {"params", {large}}},
                                                  {{"function", "echo"}, {"params", {large + large}}}}}});
  CHECK(error_of(refused)["code"] == rpc::kOverloaded);
  CHECK(error_of(refused)["message"].get<std::string>().starts_with("tasks[1]: params of "));
  CHECK(error_of(refused)["data"]["limit"] == "max_payload_bytes");
  CHECK(peer.call("broker.stats")["result"]["submitted"] == 0);
}

TEST_CASE("task.submit refuses a field it does not know, naming it" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  json refused = peer.call("task.submit", {{"function", "noop"}, {"max_retry", 5}});
  CHECK(error_of(refused)["code"] == rpc::kInvalidParams);
  CHECK(error_of(refused)["message"] == "unknown field 'max_retry'");
  json in_batch =
      peer.call("task.submit_many", {{"tasks", {{{"function", "noop"}}, {{"function", "noop"}, {"wait", true}}}}});
  CHECK(error_of(in_batch)["message"] == "tasks[1]: unknown field 'wait'");
  CHECK(peer.call("task.submit", {{"function", "noop"}, {"require_node", false}, {"wait", false}})["result"]["state"] ==
        "QUEUED");
}

TEST_CASE("every method with params refuses a field it does not know, naming it, and changes nothing" *
          doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  const json id = peer.call("task.submit", {{"function", "noop"}})["result"]["id"];
  const std::pair<std::string, json> calls[] = {
      {"task.get", {{"id", id}, {"verbose", true}}},
      {"task.wait", {{"id", id}, {"timeout", 10}}},
      {"task.cancel", {{"id", id}, {"force", true}}},
      {"task.retry", {{"id", id}, {"reset", true}}},
      {"task.list", {{"status", "QUEUED"}}},
      {"schedule.add", {{"name", "s"}, {"interval_ms", 1000}, {"task", {{"function", "noop"}}}, {"every", 1}}},
      {"limits.set", {{"function", "noop"}, {"concurrency", 1}, {"rate", 5}}},
      {"event.emit", {{"event", "e"}, {"payload", 1}}},
  };
  for (const auto& call : calls) {
    INFO(call.first);
    json refused = peer.call(call.first, call.second);
    CHECK(error_of(refused)["code"] == rpc::kInvalidParams);
    CHECK(error_of(refused)["message"].get<std::string>().starts_with("unknown field '"));
  }
  CHECK(peer.call("task.get", {{"id", id}})["result"]["state"] == "QUEUED");
  CHECK(peer.call("schedule.list")["result"]["schedules"].empty());
  CHECK(peer.call("limits.list")["result"]["limits"].empty());
}

TEST_CASE("a batch of more than 10000 messages is refused whole" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  json batch = json::array();
  for (int i = 0; i < 10001; ++i) batch.push_back(i);
  peer.send(batch);
  json error = error_of(peer.receive());
  CHECK(error["code"] == rpc::kInvalidRequest);
  CHECK(peer.call("broker.stats")["result"]["submitted"] == 0);
}

TEST_CASE("node.done from a peer that never said hello is refused and counted as stale results" *
          doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer stranger(context, running.endpoint);
  stranger.send(json{{"jsonrpc", "2.0"},
                     {"method", "node.done"},
                     {"params",
                      {{"results",
                        {{{"id", "0000000000000001"}, {"attempt", 1}, {"result", 1}},
                         {{"id", "0000000000000002"}, {"attempt", 1}, {"result", 2}}}}}}});
  json refused = stranger.call("node.heartbeat");
  CHECK(error_of(refused)["code"] == -32008);
  CHECK(stranger.call("broker.stats")["result"]["stale_results"] == 2);
}

TEST_CASE("an unknown node method is method-not-found, whether or not the peer said hello" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer stranger(context, running.endpoint);
  json refused = stranger.call("node.nope");
  CHECK(error_of(refused)["code"] == rpc::kMethodNotFound);
  CHECK(error_of(refused)["message"] == "method not found: node.nope");
}

TEST_CASE("task.submit with an idempotency key answers a second time for the first task" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  json params = {{"function", "noop"}, {"idempotency_key", "order-17"}, {"max_retries", 2}, {"timeout_ms", 500}};
  json first = peer.call("task.submit", params)["result"];
  json second = peer.call("task.submit", params)["result"];
  CHECK_FALSE(first.contains("duplicate"));
  CHECK(second["duplicate"] == true);
  CHECK(second["id"] == first["id"]);
  json task = peer.call("task.get", {{"id", first["id"]}})["result"];
  CHECK(task["idempotency_key"] == "order-17");
  CHECK(task["max_retries"] == 2);
  CHECK(task["timeout_ms"] == 500);
  CHECK(error_of(peer.call("task.submit", {{"function", "noop"}, {"max_retries", 101}}))["code"] == -32602);
  CHECK(error_of(peer.call("task.submit", {{"function", "noop"}, {"timeout_ms", 0}}))["code"] == -32602);
  CHECK(error_of(peer.call("task.submit", {{"function", "noop"}, {"idempotency_key", ""}}))["code"] == -32602);
  CHECK(error_of(peer.call("task.retry", {{"id", first["id"]}}))["code"] == -32011);
}

TEST_CASE("node.hello accepts functions with defaults and refuses malformed ones" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer node(context, running.endpoint);
  json good = node.call("node.hello", {{"node", "n"},
                                       {"functions", {"add", {{"name", "fail"}, {"max_retries", 0}}}},
                                       {"slots", 1},
                                       {"running", json::array()}});
  CHECK(good.contains("result"));
  CHECK(error_of(node.call("node.hello",
                           {{"node", "n"}, {"functions", {{{"max_retries", 0}}}}, {"slots", 1}}))["code"] == -32602);
  CHECK(error_of(node.call("node.hello", {{"node", "n"}, {"functions", {7}}, {"slots", 1}}))["code"] == -32602);
  CHECK(error_of(node.call(
            "node.hello",
            {{"node", "n"}, {"functions", {"add"}}, {"slots", 1}, {"running", {{{"id", "zz"}}}}}))["code"] == -32602);
}

TEST_CASE("broker.metrics answers with the figures of docs/PROTOCOL.md and its name is built in" *
          doctest::timeout(20)) {
  RunningBroker running([](Broker& broker) {
    CHECK_THROWS_AS(broker.register_method("broker.metrics", [](const json&) { return json(); }),
                    std::invalid_argument);
    CHECK_THROWS_AS(broker.register_method("broker.webhooks.take", [](const json&) { return json(); }),
                    std::invalid_argument);
  });
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  REQUIRE(peer.call("task.submit", {{"function", "add"}, {"params", {1, 2}}}).contains("result"));
  json metrics = peer.call("broker.metrics")["result"];
  INFO(metrics.dump());
  CHECK(metrics["tasks"] == json::array({json{{"function", "add"}, {"state", "QUEUED"}, {"count", 1}}}));
  REQUIRE(metrics["queues"].size() == 1);
  CHECK(metrics["queues"][0]["queue"] == "default");
  CHECK(metrics["queues"][0]["depth"] == 1);
  CHECK(metrics["queues"][0]["oldest_age_ms"].get<std::int64_t>() >= 0);
  CHECK(metrics["counters"]["submitted"] == 1);
  for (const char* field : {"epoch", "version", "uptime_ms", "run_seconds", "nodes", "slots", "free_slots", "running",
                            "webhooks_pending", "store"}) {
    CHECK(metrics.contains(field));
  }
}

TEST_CASE("broker.webhooks.done checks its params and says whether it recorded anything" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  json missing = error_of(peer.call("broker.webhooks.done", {{"id", "0000000000000001"}, {"ended_at", 1}}));
  CHECK(missing["code"] == rpc::kInvalidParams);
  CHECK(missing["message"] == "delivered must be true or false");
  CHECK(error_of(peer.call("broker.webhooks.done", {{"id", "x"}, {"ended_at", 1}, {"delivered", true}}))["code"] ==
        rpc::kInvalidParams);
  json answer = peer.call("broker.webhooks.done", {{"id", "0000000000000001"}, {"ended_at", 1}, {"delivered", true}});
  CHECK(answer["result"] == json{{"recorded", false}});
  CHECK(error_of(peer.call("broker.webhooks.take", {{"limit", 0}}))["code"] == rpc::kInvalidParams);
}

TEST_CASE("task.submit refuses a callback_url that is not http with invalid params" * doctest::timeout(20)) {
  RunningBroker running;
  zmq::context_t context;
  RawPeer peer(context, running.endpoint);
  json refused = error_of(peer.call("task.submit", {{"function", "add"}, {"callback_url", "mailto:me@example.com"}}));
  CHECK(refused["code"] == rpc::kInvalidParams);
  CHECK(refused["message"] == "callback_url must start with http:// (https is not supported)");
}

TEST_CASE("a broker serving HTTP that is stopped while it starts returns from run" * doctest::timeout(20)) {
  for (int round = 0; round < 5; ++round) {
    BrokerConfig config = config_for(zerotask::testing::free_tcp_endpoint());
    config.http = "127.0.0.1:" + std::to_string(zerotask::testing::free_port());
    Broker broker(config);
    std::thread thread([&] { broker.run(); });
    broker.stop();
    thread.join();
  }
}

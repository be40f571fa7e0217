// CURVE, the keys file and roles (docs/SECURITY.md), through the real broker, node
// and zt: who may connect, what each role may call, node functions, quotas, and the
// refusal to serve beyond loopback without CURVE.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "system_fixture.hpp"
#include "zerotask/client.hpp"
#include "zerotask/curve.hpp"
#include "zerotask/error_codes.hpp"

using namespace zerotask::testing;
using namespace std::chrono_literals;
using nlohmann::json;
using zerotask::CurveCredentials;
using zerotask::KeyPair;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A broker that requires CURVE, with these keys in its keys file:
//   admin (admin), web (client, at most 3 waiting tasks), worker (node, any
//   function), adder (node, only add); `rogue` is a key pair it does not know.
// Its log (stderr) goes to a file the tests read.
struct SecureSystem {
  SecureSystem() {
    for (const char* name : {"broker", "admin", "web", "worker", "adder", "rogue"}) {
      KeyPair pair = zerotask::generate_key_pair();
      write_file(dir.file(std::string(name) + ".key"), zerotask::secret_key_file_text(pair));
      pairs[name] = pair;
    }
    json keys = {
        {"keys",
         {{{"name", "admin"}, {"public_key", pairs["admin"].public_key}, {"role", "admin"}},
          {{"name", "web"}, {"public_key", pairs["web"].public_key}, {"role", "client"}, {"max_queued", 3}},
          {{"name", "worker"}, {"public_key", pairs["worker"].public_key}, {"role", "node"}, {"functions", {"*"}}},
          {{"name", "adder"}, {"public_key", pairs["adder"].public_key}, {"role", "node"}, {"functions", {"add"}}}}}};
    write_file(dir.file("keys.json"), keys.dump(2));
    write_file(dir.file("broker.pub"), zerotask::public_key_file_text(pairs["broker"].public_key));
    system.peer_curve = credentials("admin");
    system.broker_log = dir.file("broker.log");
    system.start_broker({"--keys", dir.file("keys.json"), "--curve-key", dir.file("broker.key")});
  }

  std::string broker_log() { return read_file(dir.file("broker.log")); }

  CurveCredentials credentials(const std::string& name) {
    return CurveCredentials{pairs[name], pairs["broker"].public_key};
  }

  // The node executable with `name`'s key; `extra` after it.
  std::vector<std::string> node_args(const std::string& key, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--broker",     system.endpoint,        "--curve-key",    dir.file(key + ".key"),
                                     "--broker-key", dir.file("broker.pub"), "--heartbeat-ms", "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  zerotask::ClientOptions client_options(const std::string& key) {
    zerotask::ClientOptions options;
    options.connect_timeout = 1500ms;
    options.call_timeout = 10s;
    options.curve = credentials(key);
    return options;
  }

  TempDir dir;
  std::map<std::string, KeyPair> pairs;
  SystemFixture system;
};

}  // namespace

TEST_CASE("zt keygen writes a key pair that the key files readers accept, and never overwrites one" *
          doctest::timeout(60)) {
  TempDir dir;
  CommandResult made = run_command(bin_dir() + "/zt", {"keygen", "ops", "--dir", dir.path()});
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  KeyPair pair = zerotask::read_key_pair(dir.file("ops.key"));
  CHECK(zerotask::read_public_key(dir.file("ops.pub")) == pair.public_key);
  CHECK(contains(made.output, pair.public_key));
  CHECK_FALSE(contains(read_file(dir.file("ops.pub")), pair.secret_key));
  struct stat secret {};
  REQUIRE(::stat(dir.file("ops.key").c_str(), &secret) == 0);
  CHECK((secret.st_mode & 0777) == 0600);

  CommandResult again = run_command(bin_dir() + "/zt", {"keygen", "ops", "--dir", dir.path()});
  CHECK(again.exit_code == 2);
  CHECK(contains(again.output, "exists"));
  CHECK(zerotask::read_key_pair(dir.file("ops.key")).secret_key == pair.secret_key);
  CHECK(run_command(bin_dir() + "/zt", {"keygen", "../escape", "--dir", dir.path()}).exit_code == 2);
}

TEST_CASE("a broker bound beyond loopback without CURVE refuses to start and says why, unless --insecure" *
          doctest::timeout(60)) {
  int port = free_port();
  std::string everywhere = "tcp://*:" + std::to_string(port);
  CommandResult refused = run_command(bin_dir() + "/broker", {"--endpoint", everywhere, "--store", "memory"}, 20s);
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, everywhere + " can be reached from other machines"));
  CHECK(contains(refused.output, "--insecure"));

  CommandResult http = run_command(
      bin_dir() + "/broker",
      {"--endpoint", free_tcp_endpoint(), "--store", "memory", "--http", "*:" + std::to_string(free_port())}, 20s);
  CHECK(http.exit_code == 1);
  CHECK(contains(http.output, "has no authentication"));

  CommandResult half =
      run_command(bin_dir() + "/broker", {"--endpoint", everywhere, "--store", "memory", "--keys", "/dev/null"}, 20s);
  CHECK(half.exit_code == 1);
  CHECK(contains(half.output, "--curve-key"));

  ChildProcess insecure(bin_dir() + "/broker", {"--endpoint", everywhere, "--store", "memory", "--insecure"});
  zerotask::Client client(everywhere);
  CHECK(client.request("broker.ping", nullptr, 10s).contains("epoch"));
}

TEST_CASE("a client whose key is not in the keys file cannot connect, nor one without CURVE" * doctest::timeout(60)) {
  SecureSystem secure;
  zerotask::Client rogue(secure.system.endpoint, secure.client_options("rogue"));
  try {
    rogue.request("broker.ping", nullptr, 5s);
    FAIL("a rogue key was answered");
  } catch (const zerotask::BrokerUnreachable& error) {
    CHECK(contains(error.what(), "refused this client's CURVE key"));
  }
  zerotask::ClientOptions plain;
  plain.connect_timeout = 1500ms;
  zerotask::Client without_curve(secure.system.endpoint, plain);
  CHECK_THROWS_AS(without_curve.request("broker.ping", nullptr, 5s), zerotask::BrokerUnreachable);
  CHECK(wait_until([&] { return contains(secure.broker_log(), "is not in the keys file"); }, 5s));

  zerotask::Client web(secure.system.endpoint, secure.client_options("web"));
  CHECK(web.request("broker.ping", nullptr, 5s).contains("epoch"));
}

TEST_CASE("known keys run tasks end to end, with progress over the CURVE event endpoint" * doctest::timeout(60)) {
  SecureSystem secure;
  ChildProcess node(bin_dir() + "/node", secure.node_args("worker", {"--name", "worker-1", "--threads", "2"}));
  REQUIRE(wait_until([&] { return secure.system.node_count() == 1; }, 10s));
  zerotask::Client web(secure.system.endpoint, secure.client_options("web"));
  CHECK(web.call("add", 5, 6) == 11);

  std::atomic<int> reports{0};
  zerotask::TaskFuture counting = web.submit("count", 10, 100);
  counting.on_progress([&](const json&) { ++reports; });
  REQUIRE(counting.wait(10s));
  CHECK(counting.result() == 10);
  CHECK(reports.load() > 0);
  CHECK(secure.system.result_of("task.get", {{"id", counting.id()}})["submitter"] == "web");

  CommandResult nodes = secure.system.zt(
      {"nodes", "--curve-key", secure.dir.file("admin.key"), "--broker-key", secure.dir.file("broker.pub")});
  INFO(nodes.output);
  CHECK(nodes.exit_code == 0);
  CHECK(contains(nodes.output, "worker-1"));
}

TEST_CASE("a client key cannot act as a node" * doctest::timeout(60)) {
  SecureSystem secure;
  RawPeer as_node(secure.system.context, secure.system.endpoint, zmq::socket_type::dealer, secure.credentials("web"));
  json refused = as_node.call("node.hello", {{"node", "impostor"}, {"functions", {"add"}}, {"slots", 1}}, 5s);
  INFO(refused.dump());
  CHECK(refused["error"]["code"] == zerotask::rpc::kUnauthorized);
  CHECK(contains(refused["error"]["message"], "key 'web' (role client) may not call node.hello"));
  CHECK(as_node.call("node.pull", {{"slots", 1}}, 5s)["error"]["code"] == zerotask::rpc::kUnauthorized);

  ChildProcess node(bin_dir() + "/node", secure.node_args("web", {"--name", "impostor"}));
  int status = node.wait(15s);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(secure.system.node_count() == 0);
  CHECK(contains(secure.broker_log(), "unauthorized: key 'web' (role client) may not call node.hello"));
}

TEST_CASE("a node key cannot serve a function the keys file does not allow it" * doctest::timeout(60)) {
  SecureSystem secure;
  RawPeer adder(secure.system.context, secure.system.endpoint, zmq::socket_type::dealer, secure.credentials("adder"));
  json refused = adder.call("node.hello", {{"node", "adder-1"}, {"functions", {"add", "resize"}}, {"slots", 1}}, 5s);
  INFO(refused.dump());
  CHECK(refused["error"]["code"] == zerotask::rpc::kUnauthorized);
  CHECK(contains(refused["error"]["message"], "key 'adder' may not serve resize"));
  CHECK(secure.system.node_count() == 0);
  json accepted = adder.call("node.hello", {{"node", "adder-1"}, {"functions", {"add"}}, {"slots", 1}}, 5s);
  CHECK(accepted.contains("result"));
  CHECK(secure.system.node_count() == 1);
  // A node key submits nothing.
  CHECK(adder.call("task.submit", {{"function", "add"}}, 5s)["error"]["code"] == zerotask::rpc::kUnauthorized);

  // The example node serves more than add: the broker refuses it and it exits, saying why.
  CommandResult node = run_command(bin_dir() + "/node", secure.node_args("adder", {"--name", "adder-2"}), 20s);
  CHECK(node.exit_code == 1);
  CHECK(contains(node.output, "the broker refused this node: key 'adder' may not serve"));
}

TEST_CASE("a client key's submissions stop at its quota of waiting tasks, the admin's do not" * doctest::timeout(60)) {
  SecureSystem secure;
  RawPeer web(secure.system.context, secure.system.endpoint, zmq::socket_type::dealer, secure.credentials("web"));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    json submitted = web.call("task.submit", {{"function", "unserved"}}, 5s);
    REQUIRE(submitted.contains("result"));
    ids.push_back(submitted["result"]["id"]);
  }
  json over = web.call("task.submit", {{"function", "unserved"}}, 5s);
  INFO(over.dump());
  CHECK(over["error"]["code"] == zerotask::rpc::kOverloaded);
  CHECK(over["error"]["data"]["limit"] == "max_queued_per_key");
  CHECK(contains(over["error"]["message"], "key 'web' has 3 waiting tasks and its quota is 3"));
  json batch = web.call("task.submit_many", {{"tasks", {{{"function", "unserved"}}}}}, 5s);
  CHECK(batch["error"]["code"] == zerotask::rpc::kOverloaded);
  CHECK(secure.system.result_of("task.submit", {{"function", "unserved"}}).contains("id"));

  // A task that leaves the queue frees its place.
  CHECK(web.call("task.cancel", {{"id", ids[0]}}, 5s).contains("result"));
  CHECK(web.call("task.submit", {{"function", "unserved"}}, 5s).contains("result"));
}

TEST_CASE("a client key cannot call the admin's or the broker's own methods, and each refusal is logged" *
          doctest::timeout(60)) {
  SecureSystem secure;
  RawPeer web(secure.system.context, secure.system.endpoint, zmq::socket_type::dealer, secure.credentials("web"));
  json limits = web.call("limits.set", {{"function", "add"}, {"concurrency", 1}}, 5s);
  CHECK(limits["error"]["code"] == zerotask::rpc::kUnauthorized);
  CHECK(contains(limits["error"]["message"], "it needs the role admin"));
  CHECK(web.call("broker.webhooks.take", nullptr, 5s)["error"]["code"] == zerotask::rpc::kUnauthorized);
  CHECK(web.call("broker.stats", nullptr, 5s).contains("result"));
  CHECK(web.call("limits.list", nullptr, 5s).contains("result"));
  CHECK(secure.system.result_of("limits.set", {{"function", "add"}, {"concurrency", 1}}).is_object());
  CHECK(secure.system.peer->call("broker.webhooks.take", nullptr, 5s)["error"]["code"] == zerotask::rpc::kUnauthorized);
  CHECK(wait_until(
      [&] {
        return contains(secure.broker_log(),
                        "unauthorized: key 'web' (role client) may not call "
                        "limits.set");
      },
      5s));
}

TEST_CASE("a node key cannot take over the name of another key's node" * doctest::timeout(60)) {
  SecureSystem secure;
  RawPeer worker(secure.system.context, secure.system.endpoint, zmq::socket_type::dealer, secure.credentials("worker"));
  REQUIRE(worker.call("node.hello", {{"node", "gpu-1"}, {"functions", {"add"}}, {"slots", 1}}, 5s).contains("result"));
  RawPeer adder(secure.system.context, secure.system.endpoint, zmq::socket_type::dealer, secure.credentials("adder"));
  json refused = adder.call("node.hello", {{"node", "gpu-1"}, {"functions", {"add"}}, {"slots", 1}}, 5s);
  INFO(refused.dump());
  CHECK(refused["error"]["code"] == zerotask::rpc::kUnauthorized);
  CHECK(contains(refused["error"]["message"], "node name 'gpu-1' is taken by a node of another key ('worker')"));
  CHECK(worker.call("node.heartbeat", nullptr, 5s).contains("result"));
  // The same key replaces its own node, as without keys.
  RawPeer again(secure.system.context, secure.system.endpoint, zmq::socket_type::dealer, secure.credentials("worker"));
  CHECK(again.call("node.hello", {{"node", "gpu-1"}, {"functions", {"add"}}, {"slots", 1}}, 5s).contains("result"));
}

#include <doctest/doctest.h>

#include "security/access_keys.hpp"
#include "security/access_policy.hpp"
#include "zerotask/curve.hpp"
#include "zerotask/json_rpc.hpp"

using zerotask::json;
using zerotask::broker::access_refusal;
using zerotask::broker::AccessKey;
using zerotask::broker::AccessKeys;
using zerotask::broker::Role;

namespace {

std::string keys_file(const std::vector<json>& keys) {
  return json{{"keys", keys}}.dump();
}

// The message AccessKeys::parse throws for `text`.
std::string refusal_of(const std::string& text) {
  try {
    AccessKeys::parse(text, "keys.json");
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

AccessKey key_with(Role role) {
  AccessKey key;
  key.name = "k";
  key.role = role;
  key.functions = {"add"};
  return key;
}

}  // namespace

TEST_CASE("a keys file gives each public key its name, role, functions and quota") {
  std::string node_key = zerotask::generate_key_pair().public_key;
  std::string client_key = zerotask::generate_key_pair().public_key;
  AccessKeys keys = AccessKeys::parse(
      keys_file({{{"name", "gpu-1"}, {"public_key", node_key}, {"role", "node"}, {"functions", {"resize", "blur"}}},
                 {{"name", "web"}, {"public_key", client_key}, {"role", "client"}, {"max_queued", 100}}}),
      "keys.json");
  CHECK(keys.size() == 2);
  const AccessKey* node = keys.by_public_key(node_key);
  REQUIRE(node != nullptr);
  CHECK(node->name == "gpu-1");
  CHECK(node->role == Role::Node);
  CHECK(node->may_serve("blur"));
  CHECK_FALSE(node->may_serve("add"));
  CHECK(keys.by_name("web")->max_queued == std::optional<std::size_t>(100));
  CHECK(keys.by_name("nobody") == nullptr);
  CHECK(keys.by_public_key(zerotask::generate_key_pair().public_key) == nullptr);
}

TEST_CASE("a node key with the function * may serve any function") {
  AccessKey any = key_with(Role::Node);
  any.functions = {"*"};
  CHECK(any.may_serve("anything"));
}

TEST_CASE("a malformed keys file is refused naming the entry and what is wrong with it") {
  std::string key = zerotask::generate_key_pair().public_key;
  json client = {{"name", "web"}, {"public_key", key}, {"role", "client"}};
  CHECK(refusal_of("not json") == "keys file keys.json is not valid JSON");
  CHECK(refusal_of("{\"keys\": []}").find("an array of 1 to 10000 keys") != std::string::npos);
  CHECK(refusal_of(keys_file({client, client})) == "keys file keys.json, key #2 (web): another key has this name");
  json renamed = client;
  renamed["name"] = "web-2";
  CHECK(refusal_of(keys_file({client, renamed})) ==
        "keys file keys.json, key #2 (web-2): another key has this public_key");
  json bad_key = client;
  bad_key["public_key"] = "short";
  CHECK(refusal_of(keys_file({bad_key})).find("40-character Z85") != std::string::npos);
  json bad_role = client;
  bad_role["role"] = "root";
  CHECK(refusal_of(keys_file({bad_role})).find("not 'root'") != std::string::npos);
  json typo = client;
  typo["max_queue"] = 5;
  CHECK(refusal_of(keys_file({typo})).find("unknown member 'max_queue'") != std::string::npos);
  json node = {{"name", "n"}, {"public_key", key}, {"role", "node"}};
  CHECK(refusal_of(keys_file({node})).find("a node needs functions") != std::string::npos);
  json client_functions = client;
  client_functions["functions"] = {"add"};
  CHECK(refusal_of(keys_file({client_functions})).find("functions are for node keys") != std::string::npos);
  json zero_quota = client;
  zero_quota["max_queued"] = 0;
  CHECK(refusal_of(keys_file({zero_quota})).find("max_queued must be a positive integer") != std::string::npos);
  json spaced = client;
  spaced["name"] = "two words";
  CHECK(refusal_of(keys_file({spaced})).find("without spaces") != std::string::npos);
  CHECK_THROWS_WITH_AS(AccessKeys::load("/nonexistent/keys.json"), "keys file /nonexistent/keys.json cannot be read",
                       std::runtime_error);
}

TEST_CASE("each role may call its own methods only") {
  AccessKey client = key_with(Role::Client);
  AccessKey node = key_with(Role::Node);
  AccessKey admin = key_with(Role::Admin);
  for (const char* method : {"add", "task.submit", "task.wait", "task.cancel", "broker.stats", "broker.metrics",
                             "schedule.list", "limits.list", "event.emit"}) {
    CAPTURE(method);
    CHECK_FALSE(access_refusal(client, method));
    CHECK_FALSE(access_refusal(admin, method));
    CHECK(access_refusal(node, method));
  }
  for (const char* method : {"node.hello", "node.pull", "node.done", "node.heartbeat"}) {
    CAPTURE(method);
    CHECK_FALSE(access_refusal(node, method));
    CHECK(access_refusal(client, method));
    CHECK(access_refusal(admin, method));
  }
  for (const char* method : {"schedule.add", "schedule.remove", "limits.set", "limits.remove", "broker.custom"}) {
    CAPTURE(method);
    CHECK_FALSE(access_refusal(admin, method));
    CHECK(access_refusal(client, method));
  }
  for (const AccessKey* key : {&client, &node, &admin}) {
    CHECK_FALSE(access_refusal(*key, "broker.ping"));
    CHECK(access_refusal(*key, "broker.webhooks.take"));
  }
  CHECK(*access_refusal(client, "limits.set") ==
        "key 'k' (role client) may not call limits.set: it needs the role admin");
}

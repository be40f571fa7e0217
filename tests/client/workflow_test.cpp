// Client::chain, group and chord against a fake broker: what each sends in its one
// task.submit_many, how the answer maps to futures, and what they refuse.
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "client_test_helpers.hpp"
#include "fake_broker.hpp"
#include "test_support.hpp"
#include "zerotask/client.hpp"
#include "zerotask/rpc_error.hpp"

using namespace std::chrono_literals;
using zerotask::json;
using zerotask::TaskSpec;
using zerotask::testing::add;
using zerotask::testing::FakeBroker;
using zerotask::testing::quick_options;
using zerotask::testing::restart;
using zerotask::testing::wait_until;

namespace {

json sent_entries(FakeBroker& broker) {
  return broker.last_params("task.submit_many")["tasks"];
}

}  // namespace

TEST_CASE("a chain is one task.submit_many where each step depends on the one before and gets its result first" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("step");
  zerotask::Client client(broker.endpoint(), quick_options());

  TaskSpec last{"step", {3}};
  last.options.queue = "slow";
  zerotask::TaskFuture future = client.chain({{"step", {1, 2}}, {"step", {"x"}}, last});
  std::string last_id = future.id();
  std::vector<std::string> ids = broker.tasks_of("step");
  REQUIRE(ids.size() == 3);
  CHECK(last_id == ids.back());
  CHECK(broker.requests("task.submit_many") == 1);
  CHECK(broker.requests("task.submit") == 0);

  json entries = sent_entries(broker);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0]["params"] == json::array({1, 2}));
  CHECK_FALSE(entries[0].contains("depends_on"));
  CHECK_FALSE(entries[0].contains("pass_results"));
  CHECK(entries[1]["depends_on"] == json::array({0}));
  CHECK(entries[1]["pass_results"] == "prepend");
  CHECK(entries[1]["params"] == json::array({"x"}));
  CHECK(entries[2]["depends_on"] == json::array({1}));
  CHECK(entries[2]["pass_results"] == "prepend");
  CHECK(entries[2]["queue"] == "slow");

  broker.finish(ids.back(), 42);
  REQUIRE(future.wait(5s));
  CHECK(future.result() == json(42));
}

TEST_CASE("a chain whose step failed ends Cancelled, naming the dependency that failed" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("step");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture last = client.chain({{"step", {1}}, {"step"}});
  std::string last_id = last.id();
  std::string first_id = broker.tasks_of("step").at(0);
  broker.fail(first_id, {zerotask::rpc::kTaskFailed, "boom", nullptr});
  broker.cancel(last_id, {zerotask::rpc::kCancelled,
                          "dependency " + first_id + " FAILED",
                          {{"dependency", first_id}, {"dependency_state", "FAILED"}}});
  REQUIRE(last.wait(5s));
  try {
    last.result();
    FAIL("result did not throw");
  } catch (const zerotask::Cancelled& error) {
    CHECK(error.code() == zerotask::rpc::kCancelled);
    CHECK(error.data()["task"] == last_id);
    CHECK(error.data()["dependency"] == first_id);
    CHECK(error.data()["dependency_state"] == "FAILED");
  }
}

TEST_CASE("a chain of one step is that task alone" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.chain({{"add", {1, 2}}});
  REQUIRE(future.wait(5s));
  CHECK(future.result() == json(3));
  json entries = sent_entries(broker);
  REQUIRE(entries.size() == 1);
  CHECK_FALSE(entries[0].contains("depends_on"));
}

TEST_CASE("every task of a workflow carries an idempotency key of its own" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  TaskSpec keyed{"add", {3, 4}};
  keyed.options.idempotency_key = "mine";
  REQUIRE(client.chord({{"add", {1, 2}}, keyed}, {"add", {5, 6}}).wait(5s));
  json entries = sent_entries(broker);
  std::set<std::string> keys;
  for (const json& entry : entries) keys.insert(entry["idempotency_key"].get<std::string>());
  CHECK(keys.size() == 3);
  CHECK(entries[1]["idempotency_key"] == "mine");
}

TEST_CASE("a group gives the results in order once every member has ended" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("work");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::GroupFuture group = client.group({{"work", {1}}, {"work", {2}}, {"work", {3}}});
  std::vector<std::string> ids = group.ids();
  CHECK(ids == broker.tasks_of("work"));
  REQUIRE(group.futures().size() == 3);
  CHECK(group.futures()[1].id() == ids[1]);
  for (const json& entry : sent_entries(broker)) CHECK_FALSE(entry.contains("depends_on"));

  broker.finish(ids[2], "c");
  broker.finish(ids[0], "a");
  CHECK_FALSE(group.wait(100ms));
  broker.finish(ids[1], "b");
  REQUIRE(group.wait(5s));
  CHECK(group.results() == json::array({"a", "b", "c"}));
}

TEST_CASE("a group's results throw the error of its first member that did not succeed" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("work");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::GroupFuture group = client.group({{"work", {1}}, {"work", {2}}, {"nobody", {3}}});
  std::vector<std::string> ids = group.ids();
  group.futures()[2].cancel();
  broker.fail(ids[1], {zerotask::rpc::kTaskFailed, "boom", {{"type", "std::runtime_error"}}});
  broker.finish(ids[0], "a");
  REQUIRE(group.wait(5s));
  try {
    group.results();
    FAIL("results did not throw");
  } catch (const zerotask::TaskFailed& error) {
    CHECK(std::string(error.what()) == "boom");
    CHECK(error.data()["task"] == ids[1]);
  }
  CHECK_THROWS_AS(group.futures()[2].result(), zerotask::Cancelled);
}

TEST_CASE("a chord's body depends on every header task and gets the array of their results" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("part");
  broker.hold("sum");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture body = client.chord({{"part", {1}}, {"part", {2}}, {"part", {3}}}, {"sum"});
  std::string body_id = body.id();
  CHECK(broker.tasks_of("sum") == std::vector<std::string>{body_id});
  json entries = sent_entries(broker);
  REQUIRE(entries.size() == 4);
  CHECK(entries[3]["function"] == "sum");
  CHECK(entries[3]["params"] == json::array());
  CHECK(entries[3]["depends_on"] == json::array({0, 1, 2}));
  CHECK(entries[3]["pass_results"] == "list");
  broker.finish(body_id, 6);
  REQUIRE(body.wait(5s));
  CHECK(body.result() == json(6));
}

TEST_CASE("empty workflows and linked tasks that set their own dependencies are refused before sending" *
          doctest::timeout(30)) {
  FakeBroker broker;
  zerotask::Client client(broker.endpoint(), quick_options());

  CHECK_THROWS_WITH_AS(client.chain({}), "a chain needs at least one task", std::invalid_argument);
  CHECK_THROWS_WITH_AS(client.group({}), "a group needs at least one task", std::invalid_argument);
  CHECK_THROWS_WITH_AS(client.chord({}, {"sum"}), "the header of a chord needs at least one task",
                       std::invalid_argument);
  TaskSpec linked{"step"};
  linked.options.depends_on = {"0000d1f5c2a40001"};
  CHECK_THROWS_WITH_AS(client.chain({{"step"}, linked}),
                       "step 1 of a chain sets depends_on or pass_results, which its workflow sets",
                       std::invalid_argument);
  TaskSpec passing{"sum"};
  passing.options.pass_results = zerotask::PassResults::Prepend;
  CHECK_THROWS_WITH_AS(client.chord({{"part"}}, passing),
                       "the body of a chord sets depends_on or pass_results, which its workflow sets",
                       std::invalid_argument);
  // The first step may wait for tasks outside the chain.
  TaskSpec first{"step"};
  first.options.depends_on = {"0000d1f5c2a40001"};
  client.chain({first, {"step"}}).id();
  CHECK(sent_entries(broker)[0]["depends_on"] == json::array({"0000d1f5c2a40001"}));
  CHECK(broker.requests("task.submit_many") == 1);
}

TEST_CASE("a refused workflow fails every one of its futures" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.refuse("task.submit_many", {zerotask::rpc::kOverloaded, "too many tasks waiting", nullptr});
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::GroupFuture group = client.group({{"add", {1, 2}}, {"add", {3, 4}}});
  CHECK_THROWS_AS(group.ids(), zerotask::BrokerBusy);
  REQUIRE(group.wait(5s));
  CHECK_THROWS_AS(group.results(), zerotask::BrokerBusy);
  CHECK_THROWS_AS(group.futures()[1].result(), zerotask::BrokerBusy);
  CHECK_THROWS_AS(client.chain({{"add", {1, 2}}}).id(), zerotask::BrokerBusy);
}

TEST_CASE("a workflow whose answer was lost is sent again and the broker makes each task once" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("work");
  broker.drop_answers_to("task.submit_many");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::GroupFuture group = client.group({{"work", {1}}, {"work", {2}}});
  REQUIRE(wait_until([&] { return broker.tasks_of("work").size() == 2; }, 5s));
  restart(broker);
  CHECK(group.ids() == broker.tasks_of("work"));
  CHECK(broker.requests("task.submit_many") == 2);
  CHECK(broker.tasks_of("work").size() == 2);
}

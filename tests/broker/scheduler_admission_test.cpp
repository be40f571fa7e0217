// What the scheduler accepts: idempotency keys, the overload limits, and nothing
// while the store cannot write (docs/PROTOCOL.md, sections 3 and 4).
#include <doctest/doctest.h>

#include "scheduler_fixture.hpp"
#include "zerotask/rpc_error.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using namespace zerotask::broker::testing;
using namespace std::chrono_literals;

namespace {

NewTask keyed(std::string key) {
  NewTask keyed = task("noop");
  keyed.idempotency_key = std::move(key);
  return keyed;
}

}  // namespace

TEST_CASE("a second submit with the same idempotency key returns the first task" * doctest::timeout(10)) {
  Fixture f;
  Submitted first = f.scheduler.submit(keyed("k1"), std::nullopt);
  Submitted second = f.scheduler.submit(keyed("k1"), std::nullopt);
  CHECK_FALSE(first.duplicate);
  CHECK(second.duplicate);
  CHECK(second.id == first.id);
  CHECK(f.scheduler.stats(f.now)["submitted"] == 1);
  CHECK(f.scheduler.submit(keyed("k2"), std::nullopt).id != first.id);
}

TEST_CASE("a waiting duplicate submit gets the first task's result" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  Submitted first = f.scheduler.submit(keyed("k"), f.client(1));
  f.scheduler.dispatch();
  json run = f.runs_for("n1").at(0);
  f.scheduler.submit(keyed("k"), f.client(2));  // resent while it runs
  f.scheduler.done("n1", json::array({json{{"id", run["id"]}, {"attempt", 1}, {"result", 5}}}));
  json replies = f.take_replies();
  REQUIRE(replies.size() == 2);
  CHECK(replies[0]["result"] == 5);
  CHECK(replies[1]["result"] == 5);
  // Once it has ended, a duplicate is answered at once.
  f.scheduler.submit(keyed("k"), f.client(3));
  replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0] == json{{"jsonrpc", "2.0"}, {"id", 3}, {"result", 5}});
  CHECK(f.scheduler.find(first.id)->state == TaskState::Succeeded);
}

TEST_CASE("a key is free again once its task is forgotten" * doctest::timeout(10)) {
  Fixture f;
  Submitted first = f.scheduler.submit(keyed("k"), std::nullopt);
  f.scheduler.cancel(first.id, f.now);
  f.scheduler.tick(std::chrono::steady_clock::now() + 2s);
  REQUIRE(f.scheduler.find(first.id) == nullptr);
  CHECK_FALSE(f.scheduler.submit(keyed("k"), std::nullopt).duplicate);
}

TEST_CASE("submissions past max_queued are refused as overloaded, and accepted again once drained" *
          doctest::timeout(10)) {
  SchedulerConfig config = test_config();
  config.max_queued = 2;
  Fixture f(config);
  f.submit(task("noop"), std::nullopt);
  f.submit(task("noop"), std::nullopt);
  CHECK(error_code_of([&] { f.submit(task("noop"), std::nullopt); }) == rpc::kOverloaded);
  CHECK(error_code_of([&] { f.scheduler.check_submissions(1, 0); }) == rpc::kOverloaded);
  CHECK(f.scheduler.stats(f.now)["submitted"] == 2);
  f.hello("n1", "node-1", "noop", 1, f.now);
  f.scheduler.dispatch();
  CHECK(error_code_of([&] { f.submit(task("noop"), std::nullopt); }) == 0);
}

TEST_CASE("params larger than max_payload_bytes are refused as overloaded" * doctest::timeout(10)) {
  SchedulerConfig config = test_config();
  config.max_payload_bytes = 100;
  Fixture f(config);
  try {
    f.submit(task("echo", json::array({std::string(200, 'x')})), std::nullopt);
    FAIL("expected an overloaded error");
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc::kOverloaded);
    CHECK(error.error().data["limit"] == "max_payload_bytes");
    CHECK(error.error().data["value"] == 100);
  }
  CHECK(f.scheduler.stats(f.now)["submitted"] == 0);
}

TEST_CASE("one connection can keep at most max_waiting_per_peer calls waiting" * doctest::timeout(10)) {
  SchedulerConfig config = test_config();
  config.max_waiting_per_peer = 2;
  Fixture f(config);
  f.submit(task("noop"), f.client(1));
  TaskId waited = f.submit(task("noop"), std::nullopt);
  f.scheduler.wait(waited, 10s, f.client(2), f.now);
  CHECK(error_code_of([&] { f.submit(task("noop"), f.client(3)); }) == rpc::kOverloaded);
  CHECK(error_code_of([&] { f.scheduler.wait(waited, 10s, f.client(4), f.now); }) == rpc::kOverloaded);
  // Another connection is not affected.
  ReplyTo other{Envelope::for_routing_id("other"), 5, nullptr, 0};
  CHECK(error_code_of([&] { f.submit(task("noop"), other); }) == 0);
  // An answered call frees its place.
  f.scheduler.tick(f.now + 11s);
  CHECK(error_code_of([&] { f.scheduler.wait(waited, 10s, f.client(6), f.now); }) == 0);
}

TEST_CASE("while the store cannot write, submissions are refused and nothing is handed out" *
          doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "noop", 1, f.now);
  TaskId queued = f.submit(task("noop"), std::nullopt);
  f.scheduler.set_store_available(false, "disk I/O error");
  CHECK(error_code_of([&] { f.submit(task("noop"), std::nullopt); }) == rpc::kStoreUnavailable);
  CHECK(error_code_of([&] { f.scheduler.cancel(queued, f.now); }) == rpc::kStoreUnavailable);
  CHECK(f.scheduler.stats(f.now)["store_ok"] == false);
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").empty());
  f.scheduler.set_store_available(true, "");
  f.scheduler.dispatch();
  CHECK(f.runs_for("n1").size() == 1);
  CHECK(f.scheduler.find(queued)->state == TaskState::Running);
}

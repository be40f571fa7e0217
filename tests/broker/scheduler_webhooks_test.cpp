// Webhooks in the scheduler: a final task with a callback_url has a delivery due,
// taken by the webhook sender (broker.webhooks.take) and reported done
// (broker.webhooks.done); the task is kept until then, and a pending delivery
// survives a restart on the durable store.
#include <doctest/doctest.h>

#include "durable_fixture.hpp"
#include "scheduler_fixture.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using namespace zerotask::broker::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kHook = "http://127.0.0.1:9/hook";

NewTask hooked(std::string function, const json& params = json::array()) {
  NewTask made = task(std::move(function), params);
  made.callback_url = kHook;
  return made;
}

// The deliveries of the one reply sent (to the taker), or null when none was sent.
json deliveries_in(const json& replies) {
  if (replies.empty()) return nullptr;
  REQUIRE(replies.size() == 1);
  return replies[0]["result"]["deliveries"];
}

}  // namespace

TEST_CASE("a waiting taker gets the delivery of a task with a callback_url as soon as it ends" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "add", 1, f.now);
  TaskId id = f.submit(hooked("add", json::array({2, 3})), std::nullopt);
  f.scheduler.take_webhooks(10, f.client(1));
  CHECK(deliveries_in(f.take_replies()).is_null());
  CHECK(f.record(id).callback_state == CallbackState::None);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", id, 1, 5);
  json deliveries = deliveries_in(f.take_replies());
  REQUIRE(deliveries.size() == 1);
  const TaskRecord& record = f.record(id);
  CHECK(deliveries[0] ==
        json{{"id", format_task_id(id)},
             {"ended_at", record.ended_at},
             {"url", kHook},
             {"body", {{"id", format_task_id(id)}, {"state", "SUCCEEDED"}, {"function", "add"}, {"result", 5}}}});
  CHECK(record.callback_state == CallbackState::Pending);
  CHECK(to_json(record)["callback"] == "pending");
  CHECK(to_json(record)["callback_url"] == kHook);
  CHECK(f.scheduler.metrics(f.now)["webhooks_pending"] == 1);
}

TEST_CASE("a taker gets what was due before it asked, at most its limit at a time" * doctest::timeout(10)) {
  Fixture f;
  std::vector<TaskId> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(f.submit(hooked("slow"), std::nullopt));
    f.scheduler.cancel(ids.back(), f.now);
  }
  f.scheduler.take_webhooks(2, f.client(1));
  json first = deliveries_in(f.take_replies());
  REQUIRE(first.size() == 2);
  CHECK(first[0]["id"] == format_task_id(ids[0]));
  CHECK(first[0]["body"]["state"] == "CANCELLED");
  CHECK(first[0]["body"]["error"]["code"] == -32002);
  f.scheduler.take_webhooks(2, f.client(2));
  json second = deliveries_in(f.take_replies());
  REQUIRE(second.size() == 1);
  CHECK(second[0]["id"] == format_task_id(ids[2]));
  // A second taker while one waits: the first is answered with nothing.
  f.scheduler.take_webhooks(2, f.client(3));
  f.scheduler.take_webhooks(2, f.client(4));
  json replies = f.take_replies();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0]["id"] == 3);
  CHECK(replies[0]["result"]["deliveries"].empty());
}

TEST_CASE("a task is kept until its delivery is done, which is stored and counted" * doctest::timeout(10)) {
  Fixture f;  // keep_finished is 1 s
  TaskId id = f.submit(hooked("slow"), std::nullopt);
  f.scheduler.cancel(id, f.now);
  const std::int64_t ended_at = f.record(id).ended_at;
  f.scheduler.tick(std::chrono::steady_clock::now() + 2s);
  REQUIRE(f.scheduler.find(id) != nullptr);                       // past keep_finished, but its delivery is pending
  CHECK_FALSE(f.scheduler.webhook_done(id, ended_at + 1, true));  // another end of it
  CHECK_FALSE(f.scheduler.webhook_done(id + 1, ended_at, true));  // another task
  CHECK(f.scheduler.webhook_done(id, ended_at, true));
  CHECK(f.scheduler.find(id) == nullptr);  // expired meanwhile: forgotten now
  CHECK_FALSE(f.scheduler.webhook_done(id, ended_at, true));
  json metrics = f.scheduler.metrics(f.now);
  CHECK(metrics["counters"]["webhooks_delivered"] == 1);
  CHECK(metrics["webhooks_pending"] == 0);
}

TEST_CASE("a delivery that gave up is stored as failed and the task expires as usual" * doctest::timeout(10)) {
  Fixture f;
  TaskId id = f.submit(hooked("slow"), std::nullopt);
  f.scheduler.cancel(id, f.now);
  CHECK(f.scheduler.webhook_done(id, f.record(id).ended_at, false));
  CHECK(f.record(id).callback_state == CallbackState::Failed);
  CHECK(to_json(f.record(id))["callback"] == "failed");
  CHECK(f.scheduler.metrics(f.now)["counters"]["webhooks_failed"] == 1);
  f.scheduler.tick(std::chrono::steady_clock::now() + 2s);
  CHECK(f.scheduler.find(id) == nullptr);
}

TEST_CASE("a failed task retried before its delivery was taken delivers its next end only" * doctest::timeout(10)) {
  Fixture f;
  f.hello("n1", "node-1", "fail", 1, f.now);
  NewTask failing = hooked("fail");
  failing.max_retries = 0;
  TaskId id = f.submit(std::move(failing), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report_error("n1", id, 1);
  const std::int64_t first_end = f.record(id).ended_at;
  f.scheduler.retry(id);
  f.scheduler.take_webhooks(10, f.client(1));
  CHECK(deliveries_in(f.take_replies()).is_null());  // not final now: nothing to deliver
  CHECK_FALSE(f.scheduler.webhook_done(id, first_end, true));
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.report("n1", id, 2, "fine now");
  json deliveries = deliveries_in(f.take_replies());
  REQUIRE(deliveries.size() == 1);
  CHECK(deliveries[0]["body"]["state"] == "SUCCEEDED");
  CHECK(deliveries[0]["body"]["result"] == "fine now");
  CHECK(f.scheduler.webhook_done(id, deliveries[0]["ended_at"].get<std::int64_t>(), true));
  CHECK(f.record(id).callback_state == CallbackState::Delivered);
}

TEST_CASE("a task without a callback_url has no delivery" * doctest::timeout(10)) {
  Fixture f;
  TaskId id = f.submit(task("slow"), std::nullopt);
  f.scheduler.cancel(id, f.now);
  f.scheduler.take_webhooks(10, f.client(1));
  CHECK(deliveries_in(f.take_replies()).is_null());
  CHECK_FALSE(to_json(f.record(id)).contains("callback"));
}

TEST_CASE("a pending delivery survives a restart and is taken again, and a done one does not come back" *
          doctest::timeout(20)) {
  Durable d;
  TaskId pending = d.submit(hooked("slow"));
  TaskId delivered = d.submit(hooked("slow"));
  d.scheduler->cancel(pending, d.now);
  d.scheduler->cancel(delivered, d.now);
  d.scheduler->take_webhooks(10, ReplyTo{Envelope::for_routing_id("sender"), 1, nullptr, 0});
  REQUIRE(d.messages().size() == 1);
  REQUIRE(d.scheduler->webhook_done(delivered, d.record(delivered).ended_at, true));
  d.restart();
  CHECK(d.record(pending).callback_state == CallbackState::Pending);
  CHECK(d.record(delivered).callback_state == CallbackState::Delivered);
  CHECK(d.scheduler->metrics(d.now)["webhooks_pending"] == 1);
  d.scheduler->take_webhooks(10, ReplyTo{Envelope::for_routing_id("sender"), 2, nullptr, 0});
  json replies = d.messages();
  REQUIRE(replies.size() == 1);
  json deliveries = replies[0]["result"]["deliveries"];
  REQUIRE(deliveries.size() == 1);
  CHECK(deliveries[0]["id"] == format_task_id(pending));
  CHECK(deliveries[0]["url"] == kHook);
  // Kept past its expiry while pending, after the restart too.
  d.scheduler->tick(std::chrono::steady_clock::now() + 2s);
  REQUIRE(d.scheduler->find(pending) != nullptr);
  CHECK(d.scheduler->webhook_done(pending, deliveries[0]["ended_at"].get<std::int64_t>(), true));
  CHECK(d.scheduler->find(pending) == nullptr);
}

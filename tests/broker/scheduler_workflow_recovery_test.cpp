// The issue 4 fields across a broker restart on the durable store: a scheduler over
// an SQLite store, committed, closed and opened again; and a store of schema
// version 1 upgraded in place to the current version.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include "durable_fixture.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/error_codes.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using zerotask::broker::testing::Durable;
using zerotask::broker::testing::query_int;
using zerotask::broker::testing::run_sql;
using zerotask::broker::testing::serving;
using zerotask::broker::testing::task;
using zerotask::broker::testing::test_config;
using zerotask::broker::testing::text;
using namespace std::chrono_literals;

namespace {

// The table of schema version 1, as the broker before issue 4 created it (commit aa90e8b).
constexpr std::string_view kVersion1Schema = R"(
CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  function TEXT NOT NULL,
  params TEXT NOT NULL,
  state INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  retries INTEGER NOT NULL,
  max_retries INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  node TEXT NOT NULL,
  result TEXT,
  error TEXT,
  progress TEXT,
  idempotency_key TEXT UNIQUE
);)";

// PRAGMA application_id of a zerotask store: "zTSK".
constexpr std::int64_t kApplicationId = 0x7a54534b;

}  // namespace

TEST_CASE("a PENDING dependent still waits after a restart and runs with its dependency's result once it succeeds" *
          doctest::timeout(20)) {
  Durable d;
  TaskId a = d.submit(task("step"));
  NewTask then = task("step", json::array({"x"}));
  then.depends_on = {a};
  then.pass_results = PassResults::Prepend;
  TaskId b = d.submit(std::move(then));
  NewTask anyway = task("step");
  anyway.depends_on = {a};
  anyway.on_dependency_failure = DependencyFailure::Run;
  TaskId c = d.submit(std::move(anyway));

  d.restart();
  const TaskRecord& waiting = d.record(b);
  CHECK(waiting.state == TaskState::Pending);
  CHECK(text(waiting.depends_on) == text({a}));
  CHECK(waiting.pass_results == PassResults::Prepend);
  CHECK(to_json(waiting)["waiting_for"] == 1);
  CHECK(d.record(c).on_dependency_failure == DependencyFailure::Run);
  d.hello("n1", "node-1", "step", 1);
  auto [first, attempt] = d.run_one("n1");
  CHECK(first == a);
  d.report("n1", a, attempt, "A");
  CHECK(d.record(b).state == TaskState::Queued);
  CHECK(d.record(c).state == TaskState::Queued);
  CHECK(json::parse(d.record(b).params_json) == json::array({"A", "x"}));

  // The params with the result in them are stored too.
  d.restart();
  CHECK(d.record(b).state == TaskState::Queued);
  CHECK(json::parse(d.record(b).params_json) == json::array({"A", "x"}));
}

TEST_CASE("a dependent whose dependency was cancelled before a restart stays cancelled after it" *
          doctest::timeout(20)) {
  Durable d;
  TaskId a = d.submit(task("step"));
  NewTask then = task("step");
  then.depends_on = {a};
  TaskId b = d.submit(std::move(then));
  d.scheduler->cancel(a, d.now);
  d.restart();
  CHECK(d.record(b).state == TaskState::Cancelled);
  CHECK(d.record(b).error["data"]["dependency"] == format_task_id(a));
  CHECK(d.scheduler->stats(d.now)["tasks"]["PENDING"] == 0);
}

TEST_CASE("a task with a countdown is still PENDING after a restart and is queued when due" * doctest::timeout(20)) {
  Durable d;
  NewTask later = task("step");
  const std::int64_t run_at = unix_time_ms() + 60000;
  later.run_at = run_at;
  TaskId id = d.submit(std::move(later));
  d.restart();
  CHECK(d.record(id).state == TaskState::Pending);
  CHECK(d.record(id).run_at == run_at);
  d.scheduler->tick(std::chrono::steady_clock::now() + 30s);
  CHECK(d.record(id).state == TaskState::Pending);
  d.scheduler->tick(std::chrono::steady_clock::now() + 61s);
  CHECK(d.record(id).state == TaskState::Queued);
}

TEST_CASE("queue and priority survive a restart: a node of that queue gets the higher priority first" *
          doctest::timeout(20)) {
  Durable d;
  NewTask low = task("work");
  low.queue = "gpu";
  low.priority = 2;
  TaskId low_id = d.submit(std::move(low));
  NewTask high = task("work");
  high.queue = "gpu";
  high.priority = 8;
  TaskId high_id = d.submit(std::move(high));
  TaskId elsewhere = d.submit(task("work"));
  d.restart();
  CHECK(d.record(low_id).queue == "gpu");
  CHECK(d.record(low_id).priority == 2);
  CHECK(to_json(d.record(high_id))["priority"] == 8);
  d.hello("g", "gpu-node", "work", 5, {"gpu"});
  d.scheduler->dispatch();
  json runs = d.runs_for("g");
  REQUIRE(runs.size() == 2);
  CHECK(runs[0]["id"] == format_task_id(high_id));
  CHECK(runs[1]["id"] == format_task_id(low_id));
  CHECK(d.record(elsewhere).state == TaskState::Queued);
}

TEST_CASE("a unique task is still deduplicated after a restart, and no longer once it ended" * doctest::timeout(20)) {
  Durable d;
  NewTask unique = task("report", json::array({"nightly"}));
  unique.unique = true;
  TaskId first = d.submit(unique);
  d.restart();
  CHECK(d.record(first).unique);
  Submitted again = d.scheduler->submit(unique, std::nullopt);
  CHECK(again.duplicate);
  CHECK(again.id == first);
  d.hello("n1", "node-1", "report", 1);
  auto [id, attempt] = d.run_one("n1");
  d.restart();
  Submitted while_running = d.scheduler->submit(unique, std::nullopt);
  CHECK(while_running.duplicate);
  CHECK(while_running.state == TaskState::Running);
  d.hello("n1", "node-1", "report", 1, {"default"}, {LeaseToken{id, attempt}});
  d.report("n1", id, attempt, "done");
  CHECK(d.record(first).state == TaskState::Succeeded);
  CHECK_FALSE(d.scheduler->submit(unique, std::nullopt).duplicate);
}

TEST_CASE(
    "a RUNNING task asked to cancel is still asked after a restart: its node is told again and it ends CANCELLED" *
    doctest::timeout(20)) {
  Durable d;
  d.hello("n1", "node-1", "slow", 1);
  TaskId id = d.submit(task("slow"));
  auto [ran, attempt] = d.run_one("n1");
  REQUIRE(ran == id);
  d.scheduler->cancel(id, d.now);
  d.restart();
  CHECK(d.record(id).state == TaskState::Running);
  CHECK(d.record(id).cancel_requested);
  CHECK(to_json(d.record(id))["cancel_requested"] == true);
  d.hello("n1-again", "node-1", "slow", 1, {"default"}, {LeaseToken{id, attempt}});
  json sent = d.messages();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["method"] == "node.cancel");
  CHECK(sent[0]["params"]["tasks"][0] == json{{"id", format_task_id(id)}, {"attempt", attempt}});
  d.report("n1-again", id, attempt, "finished anyway");
  CHECK(d.record(id).state == TaskState::Cancelled);
  CHECK(d.record(id).error["code"] == rpc::kCancelled);
  d.restart();
  CHECK(d.record(id).state == TaskState::Cancelled);
  CHECK_FALSE(d.record(id).cancel_requested);
}

TEST_CASE("a RUNNING task asked to cancel that no node reclaims after a restart ends CANCELLED, not retried" *
          doctest::timeout(20)) {
  Durable d;
  d.hello("n1", "node-1", "slow", 1);
  TaskId id = d.submit(task("slow"));
  d.run_one("n1");
  d.scheduler->cancel(id, d.now);
  d.restart();
  d.scheduler->tick(d.now + 400ms);  // past the recovered lease of three heartbeats
  CHECK(d.record(id).state == TaskState::Cancelled);
  CHECK(d.record(id).retries == 0);
  CHECK(d.scheduler->stats(d.now)["tasks"]["QUEUED"] == 0);
}

TEST_CASE(
    "a cancel-requested task its node reclaims by progress after a restart is told to cancel and gets a grace period" *
    doctest::timeout(20)) {
  // The node comes back without a running list (allowed: see PROTOCOL.md node.hello)
  // and reports progress, which hands it the recovered lease.
  SchedulerConfig config = test_config();
  config.cancel_grace = 200ms;
  Durable d(config);
  d.hello("n1", "node-1", "slow", 1);
  TaskId id = d.submit(task("slow"));
  auto [ran, attempt] = d.run_one("n1");
  d.scheduler->cancel(id, d.now);
  d.restart();
  d.hello("n1-again", "node-1", "slow", 1);
  d.scheduler->progress("n1-again", id, attempt, json{{"done", 1}}, std::nullopt);
  REQUIRE(d.record(id).state == TaskState::Running);
  json sent = d.messages();
  CHECK(sent.size() == 1);
  if (!sent.empty()) CHECK(sent[0]["method"] == "node.cancel");
  for (int beat = 1; beat <= 10; ++beat) {  // a second of heartbeats, five grace periods
    d.scheduler->touch("n1-again", d.now + beat * 100ms);
    d.scheduler->tick(d.now + beat * 100ms);
  }
  CHECK(d.record(id).state == TaskState::Cancelled);
}

TEST_CASE("partials, progress and result_ttl_ms come back after a restart, and partials go on from there" *
          doctest::timeout(20)) {
  Durable d;
  d.hello("n1", "node-1", "stream", 1);
  NewTask streamed = task("stream");
  streamed.result_ttl_ms = 60000;
  TaskId id = d.submit(std::move(streamed));
  auto [ran, attempt] = d.run_one("n1");
  d.scheduler->progress("n1", id, attempt, std::nullopt, json{{"row", 1}});
  d.scheduler->progress("n1", id, attempt, json{{"done", 1}, {"total", 2}}, json{{"row", 2}});
  d.restart();
  const TaskRecord& record = d.record(id);
  CHECK(record.partials == json::array({json{{"row", 1}}, json{{"row", 2}}}));
  CHECK(record.progress == json{{"done", 1}, {"total", 2}});
  CHECK(record.result_ttl_ms == 60000);
  d.hello("n1-again", "node-1", "stream", 1, {"default"}, {LeaseToken{id, attempt}});
  d.outbox->subscribe("task.");
  d.scheduler->progress("n1-again", id, attempt, std::nullopt, json{{"row", 3}});
  CHECK(d.record(id).partials.size() == 3);
  auto events = d.outbox->take_events();
  REQUIRE(events.size() == 1);
  CHECK(json::parse(events[0].body)["index"] == 2);
}

TEST_CASE("partials_truncated comes back after a restart, and later partials are still dropped" *
          doctest::timeout(20)) {
  SchedulerConfig config = test_config();
  config.max_payload_bytes = 64;
  Durable d(config);
  d.hello("n1", "node-1", "stream", 1);
  TaskId id = d.submit(task("stream"));
  auto [ran, attempt] = d.run_one("n1");
  for (int i = 0; i < 4; ++i) d.scheduler->progress("n1", id, attempt, std::nullopt, std::string(20, 'x'));
  REQUIRE(d.record(id).partials_truncated);
  d.restart();
  CHECK(d.record(id).partials_truncated);
  CHECK(d.record(id).partials.size() == 2);
  d.hello("n1-again", "node-1", "stream", 1, {"default"}, {LeaseToken{id, attempt}});
  d.scheduler->progress("n1-again", id, attempt, std::nullopt, 1);
  CHECK(d.record(id).partials.size() == 2);
}

TEST_CASE("a finished task's own result_ttl_ms still applies after a restart" * doctest::timeout(20)) {
  Durable d;
  NewTask brief = task("step");
  brief.result_ttl_ms = 100;
  TaskId gone = d.submit(std::move(brief));
  TaskId kept = d.submit(task("step"));
  d.scheduler->cancel(gone, d.now);
  d.scheduler->cancel(kept, d.now);
  d.restart();
  REQUIRE(d.scheduler->find(gone) != nullptr);
  d.scheduler->tick(std::chrono::steady_clock::now() + 300ms);
  CHECK(d.scheduler->find(gone) == nullptr);
  CHECK(d.scheduler->find(kept) != nullptr);
  d.restart();
  CHECK(d.scheduler->find(gone) == nullptr);
}

TEST_CASE("a store of schema version 1 is upgraded in place to the current version and its tasks come back" *
          doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  std::string path = dir.file("tasks.db");
  run_sql(path, std::string(kVersion1Schema) + "PRAGMA application_id = " + std::to_string(kApplicationId) +
                    "; PRAGMA user_version = 1;");
  // A QUEUED task and a SUCCEEDED one with an idempotency key, as version 1 wrote them.
  run_sql(path,
          "INSERT INTO tasks (id, function, params, state, attempt, retries, max_retries, timeout_ms, run_at, "
          "created_at, started_at, ended_at, node, result, error, progress, idempotency_key) VALUES "
          "(4096, 'resize', '[640,480]', 1, 0, 0, -1, 0, 0, 1795437582123, 0, 0, '', NULL, NULL, NULL, NULL), "
          "(4097, 'add', '[1,2]', 3, 1, 0, 2, 5000, 0, 1795437582124, 1795437582125, 1795437582126, 'node-7', '3', "
          "NULL, '{\"done\":1}', 'order-17')");
  REQUIRE(query_int(path, "PRAGMA user_version") == 1);
  {
    SqliteTaskStore store(path, StoreSync::Full);
    REQUIRE(store.size() == 2);
    const TaskRecord* queued = store.find(4096);
    REQUIRE(queued != nullptr);
    CHECK(queued->function == "resize");
    CHECK(queued->params_json == "[640,480]");
    CHECK(queued->state == TaskState::Queued);
    CHECK(queued->queue == "default");
    CHECK(queued->priority == 0);
    CHECK(queued->depends_on.empty());
    CHECK(queued->pass_results == PassResults::None);
    CHECK(queued->on_dependency_failure == DependencyFailure::Cancel);
    CHECK_FALSE(queued->unique);
    CHECK_FALSE(queued->cancel_requested);
    CHECK(queued->result_ttl_ms == -1);
    CHECK(queued->partials.is_null());
    CHECK(queued->callback_url.empty());
    CHECK(queued->callback_state == CallbackState::None);
    const TaskRecord* done = store.find(4097);
    REQUIRE(done != nullptr);
    CHECK(done->state == TaskState::Succeeded);
    CHECK(done->result == 3);
    CHECK(done->progress == json{{"done", 1}});
    CHECK(done->idempotency_key == "order-17");
    CHECK(done->max_retries == 2);
    CHECK(done->node == "node-7");
  }
  CHECK(query_int(path, "PRAGMA user_version") == kStoreSchemaVersion);
  CHECK(query_int(path, "PRAGMA application_id") == kApplicationId);
  CHECK(query_int(path,
                  "SELECT count(*) FROM pragma_table_info('tasks') WHERE name IN "
                  "('queue', 'priority', 'depends_on', 'pass_results', 'flags', 'result_ttl_ms', 'partials', "
                  "'callback_url', 'callback_state')") == 9);

  // Opened again (no second upgrade), the scheduler hands the old task out and its
  // changes are written to the new columns too.
  {
    SqliteTaskStore store(path, StoreSync::Full);
    Outbox outbox;
    auto now = std::chrono::steady_clock::now();
    Scheduler scheduler(store, outbox, test_config(), now);
    scheduler.hello("n1", "node-1", serving("resize"), 1, {}, now);
    scheduler.dispatch();
    auto hand_outs = outbox.take_hand_outs();
    REQUIRE(hand_outs.size() == 1);
    json run = json::parse(hand_outs[0].body)["params"]["tasks"][0];
    CHECK(run["id"] == format_task_id(4096));
    CHECK(run["params"] == json::array({640, 480}));
    scheduler.cancel(4096, now);
    CHECK(store.find(4096)->cancel_requested);
    NewTask keyed = task("add");
    keyed.idempotency_key = "order-17";
    CHECK(scheduler.submit(std::move(keyed), std::nullopt).id == 4097);
    REQUIRE(store.commit());
  }
  SqliteTaskStore store(path, StoreSync::Full);
  REQUIRE(store.find(4096) != nullptr);
  CHECK(store.find(4096)->state == TaskState::Running);
  CHECK(store.find(4096)->cancel_requested);
  CHECK(store.find(4096)->node == "node-1");
}

TEST_CASE(
    "a RUNNING task cancelled after a restart, before its node reclaims it, is cancelled on the node when it does" *
    doctest::timeout(20)) {
  Durable d;
  d.hello("n1", "node-1", "slow", 1);
  TaskId id = d.submit(task("slow"));
  auto [ran, attempt] = d.run_one("n1");
  REQUIRE(ran == id);
  d.restart();
  json asked = d.scheduler->cancel(id, d.now);
  CHECK(asked["state"] == "RUNNING");
  CHECK(asked["cancel_requested"] == true);
  d.messages();
  // The node comes back with the task it still runs: it is told to cancel it.
  d.hello("n1-again", "node-1", "slow", 0, {"default"}, {LeaseToken{id, attempt}});
  json sent = d.messages();
  bool told = false;
  for (const auto& message : sent) told = told || message.value("method", "") == "node.cancel";
  CHECK(told);
  d.report("n1-again", id, attempt, "whatever it returned");
  CHECK(d.record(id).state == TaskState::Cancelled);
}

TEST_CASE("a store of schema version 2 is upgraded in place to the current version and its tasks come back" *
          doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  std::string path = dir.file("tasks.db");
  // Version 2 as the broker before issue 5 made it: version 1 and the columns of issue 4.
  run_sql(path, std::string(kVersion1Schema) +
                    "ALTER TABLE tasks ADD COLUMN queue TEXT NOT NULL DEFAULT 'default';"
                    "ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;"
                    "ALTER TABLE tasks ADD COLUMN depends_on TEXT;"
                    "ALTER TABLE tasks ADD COLUMN pass_results INTEGER NOT NULL DEFAULT 0;"
                    "ALTER TABLE tasks ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;"
                    "ALTER TABLE tasks ADD COLUMN result_ttl_ms INTEGER NOT NULL DEFAULT -1;"
                    "ALTER TABLE tasks ADD COLUMN partials TEXT;"
                    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                    "PRAGMA application_id = " +
                    std::to_string(kApplicationId) + "; PRAGMA user_version = 2;");
  run_sql(path,
          "INSERT INTO tasks (id, function, params, state, attempt, retries, max_retries, timeout_ms, run_at, "
          "created_at, started_at, ended_at, node, result, error, progress, idempotency_key, queue, priority) VALUES "
          "(4096, 'resize', '[640,480]', 1, 0, 0, -1, 0, 0, 1795437582123, 0, 0, '', NULL, NULL, NULL, NULL, "
          "'images', 7)");
  {
    SqliteTaskStore store(path, StoreSync::Full);
    const TaskRecord* queued = store.find(4096);
    REQUIRE(queued != nullptr);
    CHECK(queued->queue == "images");
    CHECK(queued->priority == 7);
    CHECK(queued->callback_url.empty());
    CHECK(queued->callback_state == CallbackState::None);
    CHECK(queued->submitter.empty());
    TaskRecord hooked = *queued;
    hooked.id = 4097;
    hooked.callback_url = "http://127.0.0.1:9/hook";
    hooked.submitter = "web";
    store.insert(std::move(hooked));
    REQUIRE(store.commit());
  }
  CHECK(query_int(path, "PRAGMA user_version") == kStoreSchemaVersion);
  SqliteTaskStore store(path, StoreSync::Full);
  REQUIRE(store.find(4097) != nullptr);
  CHECK(store.find(4097)->callback_url.str() == "http://127.0.0.1:9/hook");
  CHECK(store.find(4097)->submitter.str() == "web");
}

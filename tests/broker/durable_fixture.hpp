// A Scheduler over an SQLite store in a fresh directory that restarts as a broker
// does (commit, close, open again), and SQL run on a store file behind its back:
// for the tests of what survives a restart.
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "scheduler_fixture.hpp"
#include "store/sqlite_task_store.hpp"
#include "test_support.hpp"

namespace zerotask::broker::testing {

// A scheduler over an SQLite store in a fresh directory; restart() commits, closes
// both and opens them again, as a broker that stops and starts does.
struct Durable {
  explicit Durable(SchedulerConfig scheduler_config = test_config()) : config(std::move(scheduler_config)) { open(); }

  void open() {
    now = std::chrono::steady_clock::now();
    store = std::make_unique<SqliteTaskStore>(path, StoreSync::Normal);
    outbox = std::make_unique<Outbox>();
    scheduler = std::make_unique<Scheduler>(*store, *outbox, config, now);
  }
  void restart() {
    REQUIRE(store->commit());
    scheduler.reset();
    outbox.reset();
    store.reset();
    open();
  }

  TaskId submit(NewTask made) { return scheduler->submit(std::move(made), std::nullopt).id; }
  const TaskRecord& record(TaskId id) {
    const TaskRecord* found = scheduler->find(id);
    REQUIRE(found != nullptr);
    return *found;
  }
  void hello(const std::string& routing_id, const std::string& name, const std::string& function, std::size_t slots,
             std::vector<std::string> queues = {"default"}, const std::vector<LeaseToken>& running = {}) {
    scheduler->hello(routing_id, name, serving(function), slots, running, now, std::move(queues));
  }
  // The tasks of every node.run sent to `routing_id` since the last call.
  json runs_for(const std::string& routing_id) {
    json tasks = json::array();
    for (auto& message : outbox->take_hand_outs()) {
      if (message.to.routing_id() != routing_id) continue;
      json body = json::parse(message.body);
      for (auto& run : body["params"]["tasks"]) tasks.push_back(run);
    }
    return tasks;
  }
  // Hands out and returns the single task `routing_id` gets, with its attempt.
  std::pair<TaskId, int> run_one(const std::string& routing_id) {
    scheduler->dispatch();
    json runs = runs_for(routing_id);
    REQUIRE(runs.size() == 1);
    return {*parse_task_id(runs[0]["id"].get<std::string>()), runs[0]["attempt"].get<int>()};
  }
  void report(const std::string& routing_id, TaskId id, int attempt, const json& result) {
    scheduler->done(routing_id,
                    json::array({json{{"id", format_task_id(id)}, {"attempt", attempt}, {"result", result}}}));
  }
  json messages() {
    json bodies = json::array();
    for (auto& message : outbox->take_messages()) bodies.push_back(json::parse(message.body));
    return bodies;
  }

  zerotask::testing::TempDir dir;
  std::string path = dir.file("tasks.db");
  SchedulerConfig config;
  SteadyTime now;
  std::unique_ptr<SqliteTaskStore> store;
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<Scheduler> scheduler;
};

// Runs SQL on the file behind the store's back (the store must be closed).
inline void run_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(code == SQLITE_OK, message);
}

inline std::int64_t query_int(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  std::int64_t value = -1;
  if (sqlite3_step(statement) == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

}  // namespace zerotask::broker::testing

// The durable store: what a commit writes comes back when the store is opened
// again, and a file it cannot use is refused with a message.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include "durable_fixture.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using zerotask::broker::testing::run_sql;

namespace {

TaskRecord full_record(TaskId id) {
  TaskRecord record;
  record.id = id;
  record.function = "resize";
  record.params_json = R"({"width":640,"name":"caf\u00e9"})";
  record.state = TaskState::Failed;
  record.attempt = 3;
  record.retries = 2;
  record.max_retries = 2;
  record.timeout_ms = 5000;
  record.run_at = 0;
  record.created_at = 1795437582123;
  record.started_at = 1795437582125;
  record.ended_at = 1795437582126;
  record.node = "node-7";
  record.error = json{{"code", -32000}, {"message", "boom"}};
  record.progress = json{{"current", 3}};
  record.idempotency_key = "order-" + std::to_string(id);
  record.callback_url = "http://hooks.example:8080/done?task=" + std::to_string(id);
  record.callback_state = CallbackState::Pending;
  return record;
}

}  // namespace

TEST_CASE("a committed record comes back whole when the store is opened again" * doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  std::string path = dir.file("tasks.db");
  {
    SqliteTaskStore store(path, StoreSync::Full);
    CHECK(store.name() == "sqlite");
    store.insert(full_record(7));
    REQUIRE(store.commit());
  }
  SqliteTaskStore store(path, StoreSync::Full);
  REQUIRE(store.size() == 1);
  const TaskRecord* record = store.find(7);
  REQUIRE(record != nullptr);
  TaskRecord expected = full_record(7);
  CHECK(to_json(*record) == to_json(expected));
  CHECK(record->params_json == expected.params_json);
  CHECK(record->retries == 2);
  CHECK(record->max_retries == 2);
  CHECK(record->callback_url.str() == expected.callback_url.str());
  CHECK(record->callback_state == CallbackState::Pending);
}

TEST_CASE("the SQLite store tells its size in bytes and the memory store does not" * doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  SqliteTaskStore store(dir.file("tasks.db"), StoreSync::Normal);
  auto empty = store.size_bytes();
  REQUIRE(empty.has_value());
  CHECK(*empty > 0);
  for (TaskId id = 1; id <= 200; ++id) store.insert(full_record(id));
  REQUIRE(store.commit());
  CHECK(*store.size_bytes() > *empty);
  MemoryTaskStore memory;
  CHECK_FALSE(memory.size_bytes().has_value());
}

TEST_CASE("changes and erasures reach the file only when committed" * doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  std::string path = dir.file("tasks.db");
  {
    SqliteTaskStore store(path, StoreSync::Normal);
    TaskRecord& kept = store.insert(full_record(1));
    store.insert(full_record(2));
    REQUIRE(store.commit());
    kept.state = TaskState::Succeeded;
    kept.result = json{{"ok", true}};
    kept.error = nullptr;
    kept.callback_state = CallbackState::Delivered;
    store.mark_changed(kept);
    store.erase(2);
    REQUIRE(store.commit());
    // Never committed: gone with the process, as a crash would lose it.
    store.insert(full_record(3));
  }
  SqliteTaskStore store(path, StoreSync::Normal);
  CHECK(store.size() == 1);
  REQUIRE(store.find(1) != nullptr);
  CHECK(store.find(1)->state == TaskState::Succeeded);
  CHECK(store.find(1)->result == json{{"ok", true}});
  CHECK(store.find(1)->callback_state == CallbackState::Delivered);
  CHECK(store.find(2) == nullptr);
  CHECK(store.find(3) == nullptr);
}

TEST_CASE("a record inserted and erased before a commit never reaches the file" * doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  std::string path = dir.file("tasks.db");
  {
    SqliteTaskStore store(path, StoreSync::Full);
    store.insert(full_record(5));
    store.erase(5);
    CHECK(store.commit());
  }
  SqliteTaskStore store(path, StoreSync::Full);
  CHECK(store.size() == 0);
}

TEST_CASE("a store of another schema version is refused with a message" * doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  std::string path = dir.file("tasks.db");
  { SqliteTaskStore store(path, StoreSync::Full); }
  run_sql(path, "PRAGMA user_version = 99");
  CHECK_THROWS_WITH(SqliteTaskStore(path, StoreSync::Full),
                    doctest::Contains("has schema version 99; this broker"));
}

TEST_CASE("an SQLite file of another program is refused" * doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  std::string path = dir.file("other.db");
  run_sql(path, "CREATE TABLE t (x)");
  CHECK_THROWS_WITH(SqliteTaskStore(path, StoreSync::Full), doctest::Contains("is not a zerotask store"));
}

TEST_CASE("a file that is not a database is refused" * doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  std::string path = dir.file("notes.txt");
  {
    std::FILE* file = std::fopen(path.c_str(), "w");
    REQUIRE(file != nullptr);
    std::fputs("these are not the tasks you are looking for, but enough bytes to look like a header\n", file);
    std::fclose(file);
  }
  CHECK_THROWS_WITH(SqliteTaskStore(path, StoreSync::Full), doctest::Contains(path.c_str()));
}

TEST_CASE("a second broker on the same store is refused while the first holds it" * doctest::timeout(20)) {
  zerotask::testing::TempDir dir;
  std::string path = dir.file("tasks.db");
  SqliteTaskStore first(path, StoreSync::Full);
  CHECK_THROWS_WITH(SqliteTaskStore(path, StoreSync::Full), doctest::Contains("in use by another broker"));
}

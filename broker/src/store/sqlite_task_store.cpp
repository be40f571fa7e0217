#include "store/sqlite_task_store.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "zerotask/log.hpp"
#include "zerotask/version.hpp"

namespace zerotask::broker {
namespace {

// PRAGMA application_id of a zerotask store: "zTSK".
constexpr std::int64_t kApplicationId = 0x7a54534b;

constexpr std::string_view kCreateSchema = R"(
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

// Schema version 2 (queues, priorities, dependencies, uniqueness, result TTLs,
// cancellation of running tasks, partial results): columns added to version 1, so
// a version 1 store is upgraded in place by the same statements.
constexpr std::string_view kAddVersion2Columns = R"(
ALTER TABLE tasks ADD COLUMN queue TEXT NOT NULL DEFAULT 'default';
ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN depends_on TEXT;
ALTER TABLE tasks ADD COLUMN pass_results INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN result_ttl_ms INTEGER NOT NULL DEFAULT -1;
ALTER TABLE tasks ADD COLUMN partials TEXT;
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);)";

// Schema version 3 (webhooks): the task's callback_url and where its delivery
// stands; added to version 2 in place.
constexpr std::string_view kAddVersion3Columns = R"(
ALTER TABLE tasks ADD COLUMN callback_url TEXT;
ALTER TABLE tasks ADD COLUMN callback_state INTEGER NOT NULL DEFAULT 0;)";

// Schema version 4 (CURVE keys): the name of the key that submitted the task, for
// per-key quotas after a restart; added to version 3 in place.
constexpr std::string_view kAddVersion4Columns = R"(
ALTER TABLE tasks ADD COLUMN submitter TEXT;)";

constexpr std::string_view kColumns =
    "id, function, params, state, attempt, retries, max_retries, timeout_ms, run_at, created_at, started_at, "
    "ended_at, node, result, error, progress, idempotency_key, queue, priority, depends_on, pass_results, flags, "
    "result_ttl_ms, partials, callback_url, callback_state, submitter";

// The columns a task can change after it is created, in the order of kUpdate.
constexpr std::string_view kUpdate =
    "UPDATE tasks SET state = ?1, attempt = ?2, retries = ?3, run_at = ?4, started_at = ?5, ended_at = ?6, "
    "node = ?7, result = ?8, error = ?9, progress = ?10, params = ?11, flags = ?12, partials = ?13, "
    "callback_state = ?14, submitter = ?15 WHERE id = ?16";

// The booleans of a record, in the flags column.
constexpr std::int64_t kUnique = 1;
constexpr std::int64_t kCancelRequested = 2;
constexpr std::int64_t kPartialsTruncated = 4;
constexpr std::int64_t kRunOnDependencyFailure = 8;

std::int64_t flags_of(const TaskRecord& record) {
  return (record.unique ? kUnique : 0) | (record.cancel_requested ? kCancelRequested : 0) |
         (record.partials_truncated ? kPartialsTruncated : 0) |
         (record.on_dependency_failure == DependencyFailure::Run ? kRunOnDependencyFailure : 0);
}

void set_flags(TaskRecord& record, std::int64_t flags) {
  record.unique = (flags & kUnique) != 0;
  record.cancel_requested = (flags & kCancelRequested) != 0;
  record.partials_truncated = (flags & kPartialsTruncated) != 0;
  record.on_dependency_failure =
      (flags & kRunOnDependencyFailure) != 0 ? DependencyFailure::Run : DependencyFailure::Cancel;
}

// depends_on as a JSON array of integers; NULL when empty.
void bind_dependencies(sqlite::Statement& statement, int index, const std::vector<TaskId>& ids) {
  if (ids.empty()) {
    statement.bind_null(index);
    return;
  }
  std::string text = "[";
  for (TaskId id : ids) {
    if (text.size() > 1) text += ',';
    text += std::to_string(id);
  }
  text += ']';
  statement.bind(index, text);
}

// NULL when absent.
void bind_rare_text(sqlite::Statement& statement, int index, const RareText& text) {
  if (text.empty()) {
    statement.bind_null(index);
  } else {
    statement.bind(index, text.str());
  }
}

std::int64_t as_column(TaskId id) {
  return static_cast<std::int64_t>(id);
}

void bind_json(sqlite::Statement& statement, int index, const json& value) {
  if (value.is_null()) {
    statement.bind_null(index);
  } else {
    statement.bind(index, rpc::to_text(value));
  }
}

json read_json(const sqlite::Statement& statement, int index, TaskId id) {
  if (statement.column_is_null(index)) return nullptr;
  json value = json::parse(statement.column_text(index), nullptr, false);
  if (value.is_discarded()) {
    log(LogLevel::Warn, "store", "task " + format_task_id(id) + " has an unreadable JSON column; read as null");
    return nullptr;
  }
  return value;
}

void bind_update(sqlite::Statement& update, const TaskRecord& record) {
  update.bind(1, static_cast<std::int64_t>(record.state));
  update.bind(2, std::int64_t{record.attempt});
  update.bind(3, std::int64_t{record.retries});
  update.bind(4, record.run_at);
  update.bind(5, record.started_at);
  update.bind(6, record.ended_at);
  update.bind(7, record.node);
  bind_json(update, 8, record.result);
  bind_json(update, 9, record.error);
  bind_json(update, 10, record.progress);
  update.bind(11, record.params_json);
  update.bind(12, flags_of(record));
  bind_json(update, 13, record.partials);
  update.bind(14, static_cast<std::int64_t>(record.callback_state));
  bind_rare_text(update, 15, record.submitter);
  update.bind(16, static_cast<std::int64_t>(record.id));
}

std::vector<TaskId> read_dependency_column(const sqlite::Statement& statement, int index, TaskId id) {
  std::vector<TaskId> ids;
  json list = read_json(statement, index, id);
  if (!list.is_array()) return ids;
  for (const auto& entry : list) {
    if (entry.is_number_unsigned()) ids.push_back(entry.get<TaskId>());
  }
  return ids;
}

}  // namespace

struct SqliteTaskStore::Statements {
  explicit Statements(sqlite3* db)
      : begin(db, "BEGIN"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK"),
        insert(
            db,
            "INSERT INTO tasks (" + std::string(kColumns) +
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
                "?21, ?22, ?23, ?24, ?25, ?26, ?27)"),
        update(db, kUpdate),
        erase(db, "DELETE FROM tasks WHERE id = ?1"),
        put_setting(db, "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)"),
        erase_setting(db, "DELETE FROM settings WHERE key = ?1") {}

  sqlite::Statement begin;
  sqlite::Statement commit;
  sqlite::Statement rollback;
  sqlite::Statement insert;
  sqlite::Statement update;
  sqlite::Statement erase;
  sqlite::Statement put_setting;
  sqlite::Statement erase_setting;
};

SqliteTaskStore::SqliteTaskStore(const std::string& path, StoreSync sync) try : db_(path) {
  // Exclusive: the lock is taken at the first access and kept, so a second broker
  // on this file fails here; and WAL then needs no shared-memory index.
  db_.exec("PRAGMA locking_mode = EXCLUSIVE");
  if (db_.query_text("PRAGMA journal_mode = WAL") != "wal") {
    throw std::runtime_error("store " + path + ": cannot switch to write-ahead logging");
  }
  db_.exec(sync == StoreSync::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  open_schema(path);
  statements_ = std::make_unique<Statements>(db_.handle());
  load();
} catch (const sqlite::Error& error) {
  if (error.code() == SQLITE_BUSY || error.code() == SQLITE_LOCKED) {
    throw std::runtime_error("store " + path + " is in use by another broker (" + error.what() + ")");
  }
  throw std::runtime_error("store " + path + ": " + error.what());
}

SqliteTaskStore::~SqliteTaskStore() = default;

void SqliteTaskStore::open_schema(const std::string& path) {
  auto application_id = db_.query_int("PRAGMA application_id");
  auto version = db_.query_int("PRAGMA user_version");
  auto objects = db_.query_int("SELECT count(*) FROM sqlite_master");
  if (application_id == 0 && version == 0 && objects == 0) {
    db_.exec("BEGIN");
    db_.exec(kCreateSchema);
    db_.exec(kAddVersion2Columns);
    db_.exec(kAddVersion3Columns);
    db_.exec(kAddVersion4Columns);
    db_.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    db_.exec("PRAGMA user_version = " + std::to_string(kStoreSchemaVersion));
    db_.exec("COMMIT");
    log(LogLevel::Info, "store", "created " + path + " (schema version " + std::to_string(kStoreSchemaVersion) + ")");
    return;
  }
  if (application_id != kApplicationId) {
    throw std::runtime_error("store " + path + " is not a zerotask store (an SQLite database of another program)");
  }
  if (version >= 1 && version < kStoreSchemaVersion) {
    db_.exec("BEGIN");
    if (version < 2) db_.exec(kAddVersion2Columns);
    if (version < 3) db_.exec(kAddVersion3Columns);
    db_.exec(kAddVersion4Columns);
    db_.exec("PRAGMA user_version = " + std::to_string(kStoreSchemaVersion));
    db_.exec("COMMIT");
    log(LogLevel::Info, "store",
        "upgraded " + path + " from schema version " + std::to_string(version) + " to " +
            std::to_string(kStoreSchemaVersion));
    return;
  }
  if (version != kStoreSchemaVersion) {
    throw std::runtime_error("store " + path + " has schema version " + std::to_string(version) + "; this broker (" +
                             std::string(zerotask::version()) + ") reads schema version " +
                             std::to_string(kStoreSchemaVersion) + " only");
  }
}

void SqliteTaskStore::load() {
  sqlite::Statement select(db_.handle(), "SELECT " + std::string(kColumns) + " FROM tasks");
  while (select.step()) {
    TaskRecord record;
    record.id = static_cast<TaskId>(select.column_int(0));
    record.function = select.column_text(1);
    record.params_json = select.column_text(2);
    record.state = static_cast<TaskState>(select.column_int(3));
    record.attempt = static_cast<int>(select.column_int(4));
    record.retries = static_cast<int>(select.column_int(5));
    record.max_retries = static_cast<int>(select.column_int(6));
    record.timeout_ms = select.column_int(7);
    record.run_at = select.column_int(8);
    record.created_at = select.column_int(9);
    record.started_at = select.column_int(10);
    record.ended_at = select.column_int(11);
    record.node = select.column_text(12);
    record.result = read_json(select, 13, record.id);
    record.error = read_json(select, 14, record.id);
    record.progress = read_json(select, 15, record.id);
    if (!select.column_is_null(16)) record.idempotency_key = select.column_text(16);
    record.queue = select.column_text(17);
    record.priority = static_cast<int>(std::clamp<std::int64_t>(select.column_int(18), 0, kMaxPriority));
    record.depends_on = read_dependency_column(select, 19, record.id);
    auto pass = select.column_int(20);
    record.pass_results = pass >= 0 && pass <= 2 ? static_cast<PassResults>(pass) : PassResults::None;
    set_flags(record, select.column_int(21));
    record.result_ttl_ms = select.column_int(22);
    record.partials = read_json(select, 23, record.id);
    if (!select.column_is_null(24)) record.callback_url = std::string(select.column_text(24));
    auto callback = select.column_int(25);
    record.callback_state = callback >= 0 && callback <= 3 ? static_cast<CallbackState>(callback) : CallbackState::None;
    if (!select.column_is_null(26)) record.submitter = std::string(select.column_text(26));
    if (record.state > TaskState::Cancelled) {
      log(LogLevel::Warn, "store", "task " + format_task_id(record.id) + " has an unknown state; skipped");
      continue;
    }
    records_.insert(std::move(record));
  }
  sqlite::Statement settings(db_.handle(), "SELECT key, value FROM settings");
  while (settings.step())
    records_.put_setting(std::string(settings.column_text(0)), std::string(settings.column_text(1)));
}

std::optional<std::int64_t> SqliteTaskStore::size_bytes() {
  try {
    return db_.query_int("PRAGMA page_count") * db_.query_int("PRAGMA page_size");
  } catch (const sqlite::Error& error) {
    log(LogLevel::Warn, "store", std::string("cannot read the store's size: ") + error.what());
    return std::nullopt;
  }
}

void SqliteTaskStore::put_setting(const std::string& key, std::string value_json) {
  records_.put_setting(key, std::move(value_json));
  settings_changed_.insert(key);
}

void SqliteTaskStore::erase_setting(const std::string& key) {
  records_.erase_setting(key);
  settings_changed_.insert(key);
}

TaskRecord& SqliteTaskStore::insert(TaskRecord record) {
  inserted_.insert(record.id);
  return records_.insert(std::move(record));
}

void SqliteTaskStore::mark_changed(const TaskRecord& record) {
  records_.mark_changed(record);
  if (!inserted_.contains(record.id)) changed_.insert(record.id);
}

void SqliteTaskStore::erase(TaskId id) {
  records_.erase(id);
  changed_.erase(id);
  // A record never written needs no delete.
  if (inserted_.erase(id) == 0) erased_.insert(id);
}

bool SqliteTaskStore::commit() {
  records_.commit();
  if (inserted_.empty() && changed_.empty() && erased_.empty() && settings_changed_.empty()) return true;
  try {
    statements_->begin.step();
    statements_->begin.reset();
    write_pending();
    statements_->commit.step();
    statements_->commit.reset();
  } catch (const sqlite::Error& error) {
    last_error_ = error.what();
    if (db_.in_transaction()) {
      try {
        statements_->rollback.step();
      } catch (const sqlite::Error&) {
        // SQLite has rolled back by itself (it does on a full disk or an I/O error).
      }
      statements_->rollback.reset();
    }
    return false;
  }
  inserted_.clear();
  changed_.clear();
  erased_.clear();
  settings_changed_.clear();
  last_error_.clear();
  return true;
}

void SqliteTaskStore::write_pending() {
  auto& erase = statements_->erase;
  for (TaskId id : erased_) {
    erase.bind(1, as_column(id));
    erase.step();
    erase.reset();
  }
  auto& insert = statements_->insert;
  for (TaskId id : inserted_) {
    const TaskRecord* record = records_.find(id);
    if (!record) continue;
    insert.bind(1, as_column(id));
    insert.bind(2, record->function);
    insert.bind(3, record->params_json);
    insert.bind(4, static_cast<std::int64_t>(record->state));
    insert.bind(5, std::int64_t{record->attempt});
    insert.bind(6, std::int64_t{record->retries});
    insert.bind(7, std::int64_t{record->max_retries});
    insert.bind(8, record->timeout_ms);
    insert.bind(9, record->run_at);
    insert.bind(10, record->created_at);
    insert.bind(11, record->started_at);
    insert.bind(12, record->ended_at);
    insert.bind(13, record->node);
    bind_json(insert, 14, record->result);
    bind_json(insert, 15, record->error);
    bind_json(insert, 16, record->progress);
    if (record->idempotency_key.empty()) {
      insert.bind_null(17);
    } else {
      insert.bind(17, record->idempotency_key);
    }
    insert.bind(18, record->queue);
    insert.bind(19, std::int64_t{record->priority});
    bind_dependencies(insert, 20, record->depends_on);
    insert.bind(21, static_cast<std::int64_t>(record->pass_results));
    insert.bind(22, flags_of(*record));
    insert.bind(23, record->result_ttl_ms);
    bind_json(insert, 24, record->partials);
    bind_rare_text(insert, 25, record->callback_url);
    insert.bind(26, static_cast<std::int64_t>(record->callback_state));
    bind_rare_text(insert, 27, record->submitter);
    insert.step();
    insert.reset();
  }
  auto& update = statements_->update;
  for (TaskId id : changed_) {
    const TaskRecord* record = records_.find(id);
    if (!record) continue;
    bind_update(update, *record);
    update.step();
    update.reset();
  }
  write_settings();
}

void SqliteTaskStore::write_settings() {
  for (const auto& key : settings_changed_) {
    const std::string* value = records_.setting(key);
    auto& statement = value ? statements_->put_setting : statements_->erase_setting;
    statement.bind(1, key);
    if (value) statement.bind(2, *value);
    statement.step();
    statement.reset();
  }
}

}  // namespace zerotask::broker

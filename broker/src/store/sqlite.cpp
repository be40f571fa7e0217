#include "store/sqlite.hpp"

#include <sqlite3.h>

namespace zerotask::broker::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int code, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw Error(code & 0xff, message);
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  int code =
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement_, nullptr);
  if (code != SQLITE_OK) fail(db, code, "preparing a statement");
}

Statement::~Statement() {
  sqlite3_finalize(statement_);
}

void Statement::bind(int index, std::int64_t value) {
  int code = sqlite3_bind_int64(statement_, index, value);
  if (code != SQLITE_OK) fail(db_, code, "binding a value");
}

void Statement::bind(int index, std::string_view text) {
  int code = sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (code != SQLITE_OK) fail(db_, code, "binding a value");
}

void Statement::bind_null(int index) {
  int code = sqlite3_bind_null(statement_, index);
  if (code != SQLITE_OK) fail(db_, code, "binding a value");
}

bool Statement::step() {
  int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  // The statement must be reset before it can run again, whatever failed.
  sqlite3_reset(statement_);
  fail(db_, code, "running a statement");
}

void Statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(statement_, index);
}

std::string_view Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
  if (!text) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, index))};
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}

Database::Database(const std::string& path) {
  int code =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(code & 0xff, "cannot open " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
  sqlite3_close(db_);
}

void Database::exec(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  int code = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (code != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(code);
    sqlite3_free(error);
    throw Error(code & 0xff, message);
  }
}

std::string Database::query_text(std::string_view sql) {
  Statement statement(db_, sql);
  if (!statement.step()) return {};
  return std::string(statement.column_text(0));
}

std::int64_t Database::query_int(std::string_view sql) {
  Statement statement(db_, sql);
  if (!statement.step()) return 0;
  return statement.column_int(0);
}

bool Database::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

}  // namespace zerotask::broker::sqlite

// A thin RAII layer over the SQLite C API: one connection, prepared statements,
// failures as exceptions that carry SQLite's own code and message.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace zerotask::broker::sqlite {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  // SQLite's primary result code (SQLITE_FULL, SQLITE_IOERR, ...).
  int code() const { return code_; }

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQLite. Text is copied.
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind_null(int index);
  // True when a row is ready; false when the statement is done. Throws on failure.
  bool step();
  // Ready for new bindings and a new run.
  void reset();

  // Columns are numbered from 0. Text is valid until the next step() or reset().
  std::int64_t column_int(int index) const;
  std::string_view column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

class Database {
 public:
  // Opens (creating if missing) the database file at `path`.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows.
  void exec(std::string_view sql);
  // The first column of the first row of `sql`, as text ("" when there is no row).
  std::string query_text(std::string_view sql);
  std::int64_t query_int(std::string_view sql);
  // True while a transaction is open.
  bool in_transaction() const;
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace zerotask::broker::sqlite

#include "store_file.hpp"

#include <sqlite3.h>

#include <cinttypes>
#include <cstdio>
#include <stdexcept>

#include "zerotask/task_state.hpp"

namespace zerotask::fault {
namespace {

// An SQLite connection closed when it goes.
class Connection {
 public:
  explicit Connection(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open " + path + ": " + message);
    }
  }
  ~Connection() { sqlite3_close(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace

std::string integrity_check(const std::string& path) {
  try {
    Connection db(path);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db.handle(), "PRAGMA integrity_check", -1, &statement, nullptr) != SQLITE_OK) {
      return std::string("cannot run integrity_check: ") + sqlite3_errmsg(db.handle());
    }
    std::string answer;
    int code = 0;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
      if (!answer.empty()) answer += "\n";
      answer += reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    if (code != SQLITE_DONE)
      answer += std::string(answer.empty() ? "" : "\n") + "error: " + sqlite3_errmsg(db.handle());
    sqlite3_finalize(statement);
    return answer;
  } catch (const std::exception& error) {
    return error.what();
  }
}

std::map<std::string, std::string> stored_states(const std::string& path) {
  std::map<std::string, std::string> states;
  Connection db(path);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db.handle(), "SELECT id, state FROM tasks", -1, &statement, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("cannot read the tasks: ") + sqlite3_errmsg(db.handle()));
  }
  while (sqlite3_step(statement) == SQLITE_ROW) {
    char id[17];
    std::snprintf(id, sizeof id, "%016" PRIx64, static_cast<std::uint64_t>(sqlite3_column_int64(statement, 0)));
    auto state = sqlite3_column_int64(statement, 1);
    states[id] = state >= 0 && state <= static_cast<std::int64_t>(zerotask::TaskState::Cancelled)
                     ? std::string(zerotask::to_string(static_cast<zerotask::TaskState>(state)))
                     : "state " + std::to_string(state);
  }
  sqlite3_finalize(statement);
  return states;
}

}  // namespace zerotask::fault

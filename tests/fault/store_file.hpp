// Reading a broker's SQLite store from the test once the broker has stopped (or
// died): its integrity and the states of its tasks. Plain functions; any thread.
#pragma once

#include <map>
#include <string>

namespace zerotask::fault {

// PRAGMA integrity_check of an SQLite file ("ok" when sound), or the error.
std::string integrity_check(const std::string& path);
// The store's tasks as id -> state name, read from the file (the broker stopped).
std::map<std::string, std::string> stored_states(const std::string& path);

}  // namespace zerotask::fault

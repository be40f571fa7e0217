// The logger's level handling (common/include/zerotask/log.hpp).
#include <doctest/doctest.h>

#include "zerotask/log.hpp"

using zerotask::LogLevel;

TEST_CASE("parse_log_level knows the four lower-case level names and nothing else" * doctest::timeout(10)) {
  CHECK(zerotask::parse_log_level("error") == LogLevel::Error);
  CHECK(zerotask::parse_log_level("warn") == LogLevel::Warn);
  CHECK(zerotask::parse_log_level("info") == LogLevel::Info);
  CHECK(zerotask::parse_log_level("debug") == LogLevel::Debug);
  for (std::string_view name : {"", "INFO", "warning", "trace", "debug "}) {
    CAPTURE(name);
    CHECK_FALSE(zerotask::parse_log_level(name).has_value());
  }
}

TEST_CASE("a log level enables itself and every more severe level" * doctest::timeout(10)) {
  zerotask::set_log_level(LogLevel::Warn);
  CHECK(zerotask::log_enabled(LogLevel::Error));
  CHECK(zerotask::log_enabled(LogLevel::Warn));
  CHECK_FALSE(zerotask::log_enabled(LogLevel::Info));
  CHECK_FALSE(zerotask::log_enabled(LogLevel::Debug));
  // A disabled level writes nothing and does not fail.
  CHECK_NOTHROW(zerotask::log(LogLevel::Debug, "test", "not shown"));

  zerotask::set_log_level(LogLevel::Debug);
  CHECK(zerotask::log_enabled(LogLevel::Debug));
  zerotask::set_log_level(LogLevel::Info);
  CHECK(zerotask::log_enabled(LogLevel::Info));
  CHECK_FALSE(zerotask::log_enabled(LogLevel::Debug));
}

// A minimal leveled logger writing one line per call to stderr. Thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace zerotask {

enum class LogLevel { Error, Warn, Info, Debug };

std::optional<LogLevel> parse_log_level(std::string_view name);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view component, std::string_view message);

}  // namespace zerotask

#include "zerotask/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace zerotask {
namespace {

std::atomic<LogLevel> g_level{LogLevel::Info};
std::mutex g_write_mutex;

constexpr std::string_view kLevelNames[] = {"error", "warn", "info", "debug"};

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (kLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

void set_log_level(LogLevel level) { g_level.store(level); }

bool log_enabled(LogLevel level) { return level <= g_level.load(std::memory_order_relaxed); }

void log(LogLevel level, std::string_view component, std::string_view message) {
  if (!log_enabled(level)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  const std::string_view name = kLevelNames[static_cast<int>(level)];
  std::lock_guard lock(g_write_mutex);
  std::fprintf(stderr, "%s.%03dZ %-5.*s %.*s: %.*s\n", stamp, static_cast<int>(millis), static_cast<int>(name.size()),
               name.data(), static_cast<int>(component.size()), component.data(), static_cast<int>(message.size()),
               message.data());
}

}  // namespace zerotask

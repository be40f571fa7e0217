// ThrottledLog: whether a message about a subject (a key, a refusal) may be logged
// now: at most once per interval per subject, so that a peer that keeps doing what
// is refused cannot flood the log. Remembers at most 1000 subjects, then starts
// over. One thread only.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

namespace zerotask::broker {

class ThrottledLog {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ThrottledLog(Clock::duration interval) : interval_(interval) {}

  // True when nothing about `subject` was allowed in the last interval.
  bool allow(const std::string& subject, Clock::time_point now);

 private:
  Clock::duration interval_;
  std::unordered_map<std::string, Clock::time_point> last_allowed_;
};

}  // namespace zerotask::broker

#include "security/throttled_log.hpp"

namespace zerotask::broker {
namespace {

constexpr std::size_t kMaxSubjects = 1000;

}  // namespace

bool ThrottledLog::allow(const std::string& subject, Clock::time_point now) {
  auto last = last_allowed_.find(subject);
  if (last != last_allowed_.end() && now - last->second < interval_) return false;
  if (last == last_allowed_.end() && last_allowed_.size() >= kMaxSubjects) last_allowed_.clear();
  last_allowed_[subject] = now;
  return true;
}

}  // namespace zerotask::broker

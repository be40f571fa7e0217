#include "task_timer.hpp"

namespace zerotask::node_impl {

TaskTimer::TaskTimer() : thread_([this] { run(); }) {}

TaskTimer::~TaskTimer() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_one();
  thread_.join();
}

TaskTimer::Key TaskTimer::arm(Clock::time_point deadline, std::stop_source source) {
  bool earliest = false;
  Key key;
  {
    std::lock_guard lock(mutex_);
    key = Key{deadline, next_sequence_++};
    auto it = armed_.emplace(key, std::move(source)).first;
    earliest = it == armed_.begin();
  }
  // A later deadline does not change how long the thread sleeps.
  if (earliest) changed_.notify_one();
  return key;
}

void TaskTimer::disarm(const Key& key) {
  std::lock_guard lock(mutex_);
  armed_.erase(key);
}

void TaskTimer::run() {
  std::unique_lock lock(mutex_);
  while (!closing_) {
    if (armed_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto first = armed_.begin();
    // A copy: the entry may be disarmed (erased) while this thread waits.
    const Clock::time_point deadline = first->first.first;
    if (Clock::now() < deadline) {
      changed_.wait_until(lock, deadline);
      continue;
    }
    std::stop_source expired = std::move(first->second);
    armed_.erase(first);
    lock.unlock();
    expired.request_stop();
    lock.lock();
  }
}

}  // namespace zerotask::node_impl

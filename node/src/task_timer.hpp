// TaskTimer: fires the stop sources of tasks that run past their timeout.
//
// One thread of its own sleeps until the earliest deadline armed and fires that
// task's stop source, outside its lock so that no stop callback of a function can
// hold up the workers arming and disarming. Only tasks with a timeout come here.
//
// arm() and disarm() are safe from any thread. The destructor returns once the
// thread is gone; what is still armed then is never fired.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>

namespace zerotask::node_impl {

class TaskTimer {
 public:
  using Clock = std::chrono::steady_clock;
  // Unique among what is armed: the deadline and a sequence number.
  using Key = std::pair<Clock::time_point, std::uint64_t>;

  TaskTimer();
  ~TaskTimer();
  TaskTimer(const TaskTimer&) = delete;
  TaskTimer& operator=(const TaskTimer&) = delete;

  // Fires `source` at `deadline` unless disarmed before.
  Key arm(Clock::time_point deadline, std::stop_source source);
  // Forgets the entry; nothing happens when it has fired already.
  void disarm(const Key& key);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<Key, std::stop_source> armed_;
  std::uint64_t next_sequence_ = 0;
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace zerotask::node_impl

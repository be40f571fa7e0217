// StopSignals: turns SIGINT and SIGTERM into a clean stop for an executable.
// Construct it in main() before any other thread starts (it blocks the two
// signals so that every later thread inherits the mask); a dedicated thread then
// waits for them. The first signal calls `on_stop` on that thread; a second one
// exits the process at once with status 130.
#pragma once

#include <functional>
#include <thread>

namespace zerotask {

class StopSignals {
 public:
  explicit StopSignals(std::function<void()> on_stop);
  // Wakes the waiting thread and joins it.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  std::function<void()> on_stop_;
  std::thread waiter_;
};

}  // namespace zerotask

#include "zerotask/stop_signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace zerotask {
namespace {

// SIGUSR2 is how the destructor wakes the waiting thread when no signal came.
sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  return set;
}

}  // namespace

StopSignals::StopSignals(std::function<void()> on_stop) : on_stop_(std::move(on_stop)) {
  sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::thread([this, set] {
    int received = 0;
    bool stopping = false;
    while (sigwait(&set, &received) == 0) {
      if (received == SIGUSR2) return;
      if (stopping) _exit(130);
      stopping = true;
      on_stop_();
    }
  });
}

StopSignals::~StopSignals() {
  pthread_kill(waiter_.native_handle(), SIGUSR2);
  waiter_.join();
}

}  // namespace zerotask

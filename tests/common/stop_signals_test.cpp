// StopSignals (common/include/zerotask/stop_signals.hpp): the first SIGINT/SIGTERM
// calls on_stop on the waiting thread, a second one exits with status 130, and
// destroying it without a signal returns promptly.
//
// Signals go to a forked child, so the test process itself is never signalled.
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "zerotask/stop_signals.hpp"

namespace {

// Reads one byte from `fd` within `timeout_ms`; -1 when none came.
int read_byte(int fd, int timeout_ms) {
  pollfd item{fd, POLLIN, 0};
  if (poll(&item, 1, timeout_ms) != 1) return -1;
  char byte = 0;
  return read(fd, &byte, 1) == 1 ? byte : -1;
}

// Waits up to `timeout` for `pid` to exit; kills it afterwards. The exit status,
// or -1 when it had to be killed.
int reap(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

// A child that installs StopSignals, reports 'r' when ready and 's' from on_stop,
// and otherwise waits forever.
pid_t start_child(int report_fd) {
  pid_t pid = fork();
  if (pid == 0) {
    zerotask::StopSignals signals([report_fd] {
      char stopped = 's';
      [[maybe_unused]] auto written = write(report_fd, &stopped, 1);
    });
    char ready = 'r';
    [[maybe_unused]] auto written = write(report_fd, &ready, 1);
    while (true) pause();
  }
  return pid;
}

void check_signal(int signo) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = start_child(fds[1]);
  REQUIRE(child > 0);
  REQUIRE(read_byte(fds[0], 5000) == 'r');

  REQUIRE(kill(child, signo) == 0);
  CHECK(read_byte(fds[0], 5000) == 's');  // the first signal calls on_stop ...
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int status = 0;
  CHECK(waitpid(child, &status, WNOHANG) == 0);  // ... and does not end the process

  REQUIRE(kill(child, signo) == 0);
  status = reap(child, std::chrono::seconds(5));
  REQUIRE(status != -1);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);  // the second one exits at once
  close(fds[0]);
  close(fds[1]);
}

}  // namespace

TEST_CASE("the first SIGTERM calls on_stop and a second one exits with status 130" * doctest::timeout(20)) {
  check_signal(SIGTERM);
}

TEST_CASE("the first SIGINT calls on_stop and a second one exits with status 130" * doctest::timeout(20)) {
  check_signal(SIGINT);
}

TEST_CASE("destroying StopSignals without a signal returns promptly and never calls on_stop" * doctest::timeout(10)) {
  sigset_t before;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  std::atomic<bool> called{false};
  auto start = std::chrono::steady_clock::now();
  {
    zerotask::StopSignals signals([&called] { called = true; });
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK_FALSE(called.load());
  pthread_sigmask(SIG_SETMASK, &before, nullptr);  // StopSignals leaves the signals blocked
}

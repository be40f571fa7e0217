#include "command_run.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <system_error>

#include "zerotask/wakeup.hpp"

namespace zerotask::node_impl {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunkBytes = 64 * 1024;

// Blocks SIGPIPE on the calling thread while it lives. A write to a pipe whose
// reader is gone then fails with EPIPE and leaves a SIGPIPE pending on this thread
// (it is thread-directed), which is taken off before the old mask comes back, so the
// node never sees it.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlocked() {
    if (raised_ && !was_pending_) {
      timespec now{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &now) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

  void note_raised() { raised_ = true; }

 private:
  sigset_t pipe_;
  sigset_t previous_;
  bool was_pending_ = false;
  bool raised_ = false;
};

// Milliseconds from now to the earliest of the deadlines (rounded up, so the loop
// does not wake just before one), or -1 for none.
int poll_timeout(std::optional<Clock::time_point> first, std::optional<Clock::time_point> second) {
  std::optional<Clock::time_point> earliest = first;
  if (second && (!earliest || *second < *earliest)) earliest = second;
  if (!earliest) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*earliest - Clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, 60 * 60 * 1000));
}

// read() once; what it got (0 at the end of the pipe), or -1 when it would block.
ssize_t read_some(int fd, char* buffer) {
  ssize_t got = read(fd, buffer, kChunkBytes);
  if (got >= 0) return got;
  if (errno == EAGAIN || errno == EINTR) return -1;
  return 0;  // any other error ends the pipe as its end would
}

}  // namespace

CommandRun run_command(CommandProcess& process, std::string_view input, const CommandRunLimits& limits,
                       CommandStderr& stderr_lines, std::stop_token stop) {
  CommandRun run;
  Wakeup stop_wakeup;
  std::stop_callback on_stop(stop, [&stop_wakeup] { stop_wakeup.notify(); });
  SigpipeBlocked sigpipe;
  std::size_t written = 0;
  if (input.empty()) process.stdin_pipe().reset();
  std::optional<Clock::time_point> kill_at;      // SIGTERM was sent; SIGKILL then
  std::optional<Clock::time_point> drain_until;  // the leader is reaped; reading ends then
  bool killed = false;
  auto terminate = [&] {
    if (kill_at || killed) return;
    if (limits.grace.count() <= 0) {
      process.signal_group(SIGKILL);
      killed = true;
    } else {
      process.signal_group(SIGTERM);
      kill_at = Clock::now() + limits.grace;
    }
  };
  char buffer[kChunkBytes];

  while (true) {
    if (!run.stopped && stop.stop_requested()) {
      run.stopped = true;
      terminate();
    }
    if (kill_at && !killed && Clock::now() >= *kill_at) {
      process.signal_group(SIGKILL);
      killed = true;
    }
    bool reading = process.stdout_pipe().is_open() || process.stderr_pipe().is_open();
    if (process.reaped() && (!reading || Clock::now() >= *drain_until)) break;

    enum { kStop, kExit, kIn, kOut, kErr, kCount };
    pollfd fds[kCount] = {
        {stop_wakeup.fd(), POLLIN, 0},
        {process.exit_fd(), POLLIN, 0},  // -1 once reaped: poll skips it
        {process.stdin_pipe().get(), POLLOUT, 0},
        {process.stdout_pipe().get(), POLLIN, 0},
        {process.stderr_pipe().get(), POLLIN, 0},
    };
    int timeout = poll_timeout(killed || process.reaped() ? std::nullopt : kill_at, drain_until);
    if (poll(fds, kCount, timeout) < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }

    if (fds[kStop].revents != 0) stop_wakeup.clear();
    if (fds[kIn].revents != 0) {
      std::size_t size = std::min(input.size() - written, kChunkBytes);
      ssize_t sent = write(process.stdin_pipe().get(), input.data() + written, size);
      if (sent > 0) written += static_cast<std::size_t>(sent);
      if (sent < 0 && errno == EPIPE) sigpipe.note_raised();
      // Done, or the command closed its stdin (it need not read its params).
      if (written == input.size() || (sent < 0 && errno != EAGAIN && errno != EINTR)) process.stdin_pipe().reset();
    }
    if (fds[kOut].revents != 0) {
      ssize_t got = read_some(process.stdout_pipe().get(), buffer);
      if (got == 0) {
        process.stdout_pipe().reset();
      } else if (got > 0 && run.output.size() + static_cast<std::size_t>(got) > limits.max_output_bytes) {
        run.output_too_large = true;
        run.output.clear();
        process.stdout_pipe().reset();
        terminate();
      } else if (got > 0) {
        run.output.append(buffer, static_cast<std::size_t>(got));
      }
    }
    if (fds[kErr].revents != 0) {
      ssize_t got = read_some(process.stderr_pipe().get(), buffer);
      if (got == 0) {
        stderr_lines.finish();
        process.stderr_pipe().reset();
      } else if (got > 0) {
        stderr_lines.feed(std::string_view(buffer, static_cast<std::size_t>(got)));
      }
    }
    if (fds[kExit].revents != 0) {
      // The leader is a zombie until reaped, so the group id is still its own: what
      // it left behind in its group is killed, then it is reaped.
      process.signal_group(SIGKILL);
      run.wait_status = process.reap();
      process.stdin_pipe().reset();
      drain_until = Clock::now() + kDrainAfterExit;
    }
  }
  if (process.stderr_pipe().is_open()) stderr_lines.finish();
  return run;
}

}  // namespace zerotask::node_impl

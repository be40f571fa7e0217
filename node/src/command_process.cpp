#include "command_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <utility>

#include "zerotask/command_function.hpp"

namespace zerotask::node_impl {
namespace {

// What the child reports on the status pipe when it fails before or at exec.
enum class ChildStage : int { Group, Limit, Descriptors, Exec };
struct ChildFailure {
  ChildStage stage;
  int error;
};

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The child's descriptors 0 to 2 are made with dup2, which would leave a pipe end
// already at 0 to 2 close-on-exec (dup2 onto itself changes nothing) or overwrite one
// pipe end with another: so every end the node makes is above them.
UniqueFd above_stdio(UniqueFd fd) {
  if (fd.get() > STDERR_FILENO) return fd;
  int moved = fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) throw_errno("fcntl");
  return UniqueFd(moved);
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  UniqueFd read(fds[0]);
  UniqueFd write(fds[1]);
  return Pipe{above_stdio(std::move(read)), above_stdio(std::move(write))};
}

void set_non_blocking(const UniqueFd& fd) {
  if (fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) | O_NONBLOCK) != 0) throw_errno("fcntl");
}

std::vector<char*> pointers_to(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const auto& text : strings) pointers.push_back(const_cast<char*>(text.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Runs in the forked child, where only async-signal-safe calls are allowed (other
// threads of the node may have held locks at the fork): no allocation, no exception.
[[noreturn]] void exec_child(const char* path, char* const* argv, char* const* envp, std::uint64_t memory_limit,
                             int stdin_read, int stdout_write, int stderr_write, int report) {
  auto fail = [report](ChildStage stage) {
    ChildFailure failure{stage, errno};
    [[maybe_unused]] auto written = write(report, &failure, sizeof failure);
    _exit(127);
  };
  if (setpgid(0, 0) != 0) fail(ChildStage::Group);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Handlers go back to default at exec by themselves; ignored signals would not.
  for (int signo = 1; signo < NSIG; ++signo) {
    struct sigaction current {};
    if (sigaction(signo, nullptr, &current) == 0 && !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) {
      struct sigaction reset {};
      reset.sa_handler = SIG_DFL;
      sigaction(signo, &reset, nullptr);
    }
  }
  if (memory_limit > 0) {
    rlimit limit{memory_limit, memory_limit};
    if (setrlimit(RLIMIT_AS, &limit) != 0) fail(ChildStage::Limit);
  }
  if (dup2(stdin_read, STDIN_FILENO) < 0 || dup2(stdout_write, STDOUT_FILENO) < 0 ||
      dup2(stderr_write, STDERR_FILENO) < 0) {
    fail(ChildStage::Descriptors);
  }
  // Descriptors of the node (an embedder's included) that are not close-on-exec:
  // the program gets none of them. Without close_range (Linux < 5.11) they stay.
  close_range(STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC);
  execve(path, argv, envp);
  fail(ChildStage::Exec);
  _exit(127);  // not reached: fail() exits
}

std::string failure_message(const CommandLaunch& launch, const ChildFailure& failure) {
  std::string reason = std::generic_category().message(failure.error);
  switch (failure.stage) {
    case ChildStage::Limit:
      return "cannot set the memory limit of command '" + launch.argv.front() + "' to " +
             std::to_string(launch.memory_limit_bytes / (1024 * 1024)) + " MiB: " + reason;
    case ChildStage::Exec: return "cannot run command '" + launch.path + "': " + reason;
    case ChildStage::Group:
    case ChildStage::Descriptors: break;
  }
  return "cannot start command '" + launch.argv.front() + "': " + reason;
}

}  // namespace

CommandProcess::CommandProcess(const CommandLaunch& launch) {
  // Everything the child needs is made before the fork: it may not allocate.
  auto argv = pointers_to(launch.argv);
  auto envp = pointers_to(launch.environment);
  Pipe input = make_pipe();
  Pipe output = make_pipe();
  Pipe errors = make_pipe();
  Pipe report = make_pipe();
  set_non_blocking(input.write);
  set_non_blocking(output.read);
  set_non_blocking(errors.read);

  pid_ = fork();
  if (pid_ < 0) throw_errno("fork");
  if (pid_ == 0) {
    exec_child(launch.path.c_str(), argv.data(), envp.data(), launch.memory_limit_bytes, input.read.get(),
               output.write.get(), errors.write.get(), report.write.get());
  }
  // The child makes its group too; whichever call comes first does it, so the group
  // exists before anything here signals it (after the exec this one fails, harmlessly).
  setpgid(pid_, pid_);
  input.read.reset();
  output.write.reset();
  errors.write.reset();
  report.write.reset();

  // The report pipe closes at the exec (close-on-exec) or carries why there was none.
  ChildFailure failure{};
  ssize_t got = 0;
  do {
    got = read(report.read.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    reap();
    throw CommandFailed(failure_message(launch, failure));
  }
  // Through syscall(): Debian 12's <sys/pidfd.h> lacks extern "C" for C++.
  int exit_fd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (exit_fd < 0) {
    int error = errno;
    signal_group(SIGKILL);
    reap();
    throw std::system_error(error, std::generic_category(), "pidfd_open (Linux 5.3 or later is needed)");
  }
  exit_ = UniqueFd(exit_fd);
  stdin_ = std::move(input.write);
  stdout_ = std::move(output.read);
  stderr_ = std::move(errors.read);
}

CommandProcess::~CommandProcess() {
  if (pid_ > 0 && !reaped_) {
    signal_group(SIGKILL);
    reap();
  }
}

void CommandProcess::signal_group(int signo) {
  if (!reaped_) killpg(pid_, signo);
}

std::optional<int> CommandProcess::reap() {
  int status = 0;
  pid_t done = 0;
  do {
    done = waitpid(pid_, &status, 0);
  } while (done < 0 && errno == EINTR);
  reaped_ = true;
  exit_.reset();
  if (done != pid_) return std::nullopt;
  return status;
}

std::optional<std::string> find_executable(const std::string& program) {
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string_view directories = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = directories.find(':');
    std::string_view directory = directories.substr(0, colon);
    std::string candidate = (directory.empty() ? std::string(".") : std::string(directory)) + "/" + program;
    struct stat info {};
    if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return std::nullopt;
    directories.remove_prefix(colon + 1);
  }
}

}  // namespace zerotask::node_impl

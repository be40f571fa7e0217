// CommandProcess: one external program started for one task, in a process group of
// its own (its pid is the group id), with non-blocking pipes to its stdin, stdout
// and stderr and a pidfd that becomes readable when it exits.
//
// The leader stays unreaped (a zombie once it exits) until reap(): as long as it is,
// its pid, and so its group id, cannot be given to another process, which is what
// makes signal_group() safe. The destructor kills the group and reaps the leader if
// nobody did, so no path leaves a zombie. The program starts with every signal
// unblocked and none ignored (the node blocks SIGINT and SIGTERM for its own
// threads), descriptors 0 to 2 on the pipes, and no other descriptor of the node.
//
// One thread uses an object at a time; any number of threads may start processes at
// once (every descriptor the node makes here is close-on-exec).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "unique_fd.hpp"

namespace zerotask::node_impl {

struct CommandLaunch {
  std::string path;  // as execve takes it: see find_executable()
  std::vector<std::string> argv;
  std::vector<std::string> environment;  // "NAME=value" entries
  std::uint64_t memory_limit_bytes = 0;  // RLIMIT_AS (soft and hard); 0: the node's own
};

class CommandProcess {
 public:
  // Starts the program; returns once it has been exec'd. Throws CommandFailed when
  // it cannot be (no such file, not executable, the memory limit refused) and
  // std::system_error when the node runs out of descriptors or processes.
  explicit CommandProcess(const CommandLaunch& launch);
  ~CommandProcess();
  CommandProcess(const CommandProcess&) = delete;
  CommandProcess& operator=(const CommandProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Closed (reset) by the caller as each one is done with.
  UniqueFd& stdin_pipe() { return stdin_; }
  UniqueFd& stdout_pipe() { return stdout_; }
  UniqueFd& stderr_pipe() { return stderr_; }
  // Readable once the leader has exited; -1 once it is reaped.
  int exit_fd() const { return exit_.get(); }

  // Sends `signo` to every process of the group; does nothing once the leader is
  // reaped.
  void signal_group(int signo);
  // Waits for the leader to end and reaps it. Its wait status (as waitpid gives it),
  // or nullopt when it was reaped by someone else (a process that ignores SIGCHLD).
  std::optional<int> reap();
  bool reaped() const { return reaped_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  UniqueFd stdin_;
  UniqueFd stdout_;
  UniqueFd stderr_;
  UniqueFd exit_;
};

// What execve should run for `program`: itself when it contains a '/', else the
// first executable regular file of that name in the directories of PATH (or
// /usr/local/bin:/usr/bin:/bin without PATH), as execvp would; nullopt if none.
std::optional<std::string> find_executable(const std::string& program);

}  // namespace zerotask::node_impl

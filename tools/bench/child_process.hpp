// A process zt-bench started (a broker, a node, or itself in a reference mode).
// The owner stops it: the destructor sends SIGTERM, waits a short grace period,
// then SIGKILLs and reaps, so no child outlives the run, also on an error path.
// Not thread-safe; used by the thread that created it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace zerotask::bench {

class ChildProcess {
 public:
  // Starts `program` with `args`; its stdout goes to zt-bench's stderr so that
  // zt-bench's own stdout carries only the report. Throws std::runtime_error when
  // the program cannot be started.
  ChildProcess(std::string program, const std::vector<std::string>& args);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // zt-bench --pin: every ChildProcess made afterwards runs on `cpu` (nullopt: on
  // the CPUs of the thread that makes it, the default). One setting for the whole
  // run, as every measured process goes to the same CPU.
  static void run_later_children_on(std::optional<int> cpu);

  pid_t pid() const { return pid_; }
  const std::string& program() const { return program_; }

  // False once the process has ended (it is reaped then).
  bool running();
  // How it ended ("exit status 3", "signal 9"), for error messages.
  std::string end_description() const;
  // True once it has ended with exit status 0.
  bool exited_cleanly() const;

  // Sends SIGTERM, waits up to `grace` for the process to end, then SIGKILLs it.
  // Returns once it is reaped; true when it ended within `grace`.
  bool stop(std::chrono::milliseconds grace);

 private:
  std::string program_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// The running executable's path and its directory (from /proc/self/exe).
std::string own_executable();
std::string own_directory();

}  // namespace zerotask::bench

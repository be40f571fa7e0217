// Helpers shared by the test suites: endpoints that do not collide, waiting with a
// deadline, child processes that are always reaped, and looking into their output.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace zerotask::testing {

// "tcp://127.0.0.1:<port>" for a port that was free a moment ago, with the port
// after it free too (the default event endpoint is port + 1).
std::string free_tcp_endpoint();

// A TCP port that was free a moment ago (the port of free_tcp_endpoint()).
inline int free_port() {
  std::string endpoint = free_tcp_endpoint();
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

// True when `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Polls `condition` every few milliseconds until it is true or `timeout` passes.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The build's bin directory (where broker, node, zt and zt-bench are).
std::string bin_dir();

// A fresh directory under the system's temporary directory, removed with
// everything in it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The resident memory of process `pid` in KiB (VmRSS), or -1 if it cannot be read.
long resident_kib(pid_t pid);

// A child process that is killed and reaped when the object goes away.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo);
  // The exit status (as from waitpid) once the process ends, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// Runs a program to its end and captures stdout and the exit code; kills it after
// `timeout` (then exit_code is -1).
struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
CommandResult run_command(const std::string& program, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace zerotask::testing

#include "child_process.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "zerotask/cpu_affinity.hpp"

extern char** environ;

namespace zerotask::bench {
namespace {

constexpr std::chrono::milliseconds kStopGrace{2000};

std::optional<int> later_children_cpu;

}  // namespace

void ChildProcess::run_later_children_on(std::optional<int> cpu) {
  later_children_cpu = cpu;
}

ChildProcess::ChildProcess(std::string program, const std::vector<std::string>& args) : program_(std::move(program)) {
  if (access(program_.c_str(), X_OK) != 0) {
    throw std::runtime_error("cannot run " + program_ + ": " + std::strerror(errno));
  }
  std::vector<char*> argv;
  argv.push_back(program_.data());
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  std::optional<ScopedCpuPin> on_cpu;
  if (later_children_cpu) on_cpu.emplace(*later_children_cpu);
  int error = posix_spawn(&pid_, program_.c_str(), &actions, nullptr, argv.data(), environ);
  on_cpu.reset();
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw std::runtime_error("cannot start " + program_ + ": " + std::strerror(error));
}

ChildProcess::~ChildProcess() {
  stop(kStopGrace);
}

bool ChildProcess::running() {
  if (!reaped_ && waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

std::string ChildProcess::end_description() const {
  if (!reaped_) return "still running";
  if (WIFEXITED(status_)) return "exit status " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return "signal " + std::to_string(WTERMSIG(status_));
  return "status " + std::to_string(status_);
}

bool ChildProcess::exited_cleanly() const {
  return reaped_ && WIFEXITED(status_) && WEXITSTATUS(status_) == 0;
}

bool ChildProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return true;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  reaped_ = true;
  return false;
}

std::string own_executable() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

std::string own_directory() {
  return std::filesystem::path(own_executable()).parent_path().string();
}

}  // namespace zerotask::bench

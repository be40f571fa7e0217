// command_function: the TaskFunction that runs a program per task. This file turns
// a task into a CommandLaunch and the CommandRun back into a result or a
// CommandFailed; command_process.* starts the program and command_run.* drives it.
#include "zerotask/command_function.hpp"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "command_process.hpp"
#include "command_run.hpp"
#include "command_stderr.hpp"
#include "zerotask/json_rpc.hpp"
#include "zerotask/limits.hpp"

extern char** environ;

namespace zerotask {
namespace {

using node_impl::CommandRun;

constexpr std::uint64_t kMaxMemoryLimitMb = 16ULL * 1024 * 1024;  // 16 TiB
constexpr std::size_t kShownOutputBytes = 200;

// The node's environment, with the task's id and attempt for the program (e.g. to
// make its own side effects idempotent).
std::vector<std::string> environment_for(const TaskContext& context) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    if (variable.starts_with("ZEROTASK_TASK_ID=") || variable.starts_with("ZEROTASK_ATTEMPT=")) continue;
    environment.emplace_back(variable);
  }
  environment.push_back("ZEROTASK_TASK_ID=" + context.task_id());
  environment.push_back("ZEROTASK_ATTEMPT=" + std::to_string(context.attempt()));
  return environment;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// What the usual runtimes print when an allocation fails: the sign that a command
// ran into its memory limit (which makes allocations fail, not the process die).
bool says_out_of_memory(const std::string& stderr_text) {
  static constexpr std::string_view kSigns[] = {"memoryerror",        "bad_alloc",        "out of memory",
                                                "outofmemory",        "cannot allocate",  "memory exhausted",
                                                "failed to allocate", "allocation failed"};
  std::string text = lowercase(stderr_text);
  return std::any_of(std::begin(kSigns), std::end(kSigns),
                     [&text](std::string_view sign) { return text.find(sign) != std::string::npos; });
}

std::string signal_name(int signo) {
  const char* abbreviation = sigabbrev_np(signo);
  return abbreviation != nullptr ? "SIG" + std::string(abbreviation) : "an unknown signal";
}

class Failure {
 public:
  Failure(const CommandSpec& spec, std::string stderr_text) : spec_(spec), stderr_text_(std::move(stderr_text)) {}

  [[noreturn]] void raise(const std::string& what, bool may_be_memory = false) const {
    std::string message = "command '" + spec_.argv.front() + "' " + what;
    if (may_be_memory && spec_.memory_limit_mb > 0 && says_out_of_memory(stderr_text_)) {
      message += " (out of memory: its limit is " + std::to_string(spec_.memory_limit_mb) + " MiB)";
    }
    message += stderr_text_.empty() ? std::string(" (nothing on stderr)") : "; stderr: " + stderr_text_;
    throw CommandFailed(message);
  }

 private:
  const CommandSpec& spec_;
  std::string stderr_text_;
};

json result_of(const CommandSpec& spec, const CommandRun& run, std::string stderr_text) {
  Failure failure(spec, std::move(stderr_text));
  // A stopped task's error is the worker's (timed out, cancelled); this message is
  // for a caller of the function itself.
  if (run.stopped) failure.raise("was stopped (timeout, cancel or the node stopping)");
  if (run.output_too_large) {
    failure.raise("wrote more than " + std::to_string(spec.max_output_bytes) + " bytes on stdout (the limit)");
  }
  if (!run.wait_status) failure.raise("ended with an unknown status (the node ignores SIGCHLD)");
  const int status = *run.wait_status;
  if (WIFSIGNALED(status)) {
    failure.raise(
        "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + signal_name(WTERMSIG(status)) + ")", true);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    failure.raise("exited with status " + std::to_string(WEXITSTATUS(status)), true);
  }
  if (std::all_of(run.output.begin(), run.output.end(), [](unsigned char c) { return std::isspace(c); })) {
    failure.raise("wrote nothing on stdout (the result must be one JSON value, e.g. null)");
  }
  json result = rpc::nesting_exceeds(run.output, kMaxConfigurableDepth) ? json(json::value_t::discarded)
                                                                        : json::parse(run.output, nullptr, false);
  if (result.is_discarded()) {
    std::string shown = run.output.substr(0, kShownOutputBytes);
    if (run.output.size() > kShownOutputBytes) shown += "...";
    failure.raise("wrote stdout that is not one JSON value: " +
                  json(shown).dump(-1, ' ', false, json::error_handler_t::replace));
  }
  return result;
}

json run_task(const CommandSpec& spec, const json& params, TaskContext& context) {
  if (context.stop_token().stop_requested()) {
    throw CommandFailed("command '" + spec.argv.front() + "' not started: the task was already stopped");
  }
  auto path = node_impl::find_executable(spec.argv.front());
  if (!path) throw CommandFailed("command '" + spec.argv.front() + "' not found in PATH");
  node_impl::CommandLaunch launch{*path, spec.argv, environment_for(context), spec.memory_limit_mb * 1024 * 1024};
  node_impl::CommandProcess process(launch);
  node_impl::CommandStderr stderr_lines(context);
  CommandRun run = node_impl::run_command(process, rpc::to_text(params) + "\n", {spec.grace, spec.max_output_bytes},
                                          stderr_lines, context.stop_token());
  return result_of(spec, run, stderr_lines.tail());
}

}  // namespace

TaskFunction command_function(CommandSpec spec) {
  if (spec.argv.empty() || spec.argv.front().empty()) throw std::invalid_argument("a command needs a program");
  if (spec.grace.count() < 0) throw std::invalid_argument("a command's grace must not be negative");
  if (spec.memory_limit_mb > kMaxMemoryLimitMb) {
    throw std::invalid_argument("a command's memory limit must be at most 16777216 MiB");
  }
  if (spec.max_output_bytes == 0) throw std::invalid_argument("a command's max_output_bytes must be above 0");
  return [spec = std::move(spec)](const json& params, TaskContext& context) { return run_task(spec, params, context); };
}

}  // namespace zerotask

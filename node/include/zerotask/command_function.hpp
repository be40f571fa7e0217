// zerotask::command_function: a TaskFunction that runs an external program for each
// task, so that tasks can be written in any language. docs/COMMANDS.md is the
// contract the program sees; in short:
//
// - The program runs in a process group of its own, with the task's params as one
//   line of JSON on its stdin (then closed) and ZEROTASK_TASK_ID and
//   ZEROTASK_ATTEMPT in its environment.
// - What it writes on stdout, parsed as one JSON value, is the task's result.
// - Lines on stderr of the form `zerotask-progress <json>` are the task's progress
//   (TaskContext::report_progress), `zerotask-partial <json>` its partial results
//   (TaskContext::report_partial); the other lines are kept, the last 4 KiB of them,
//   for the error message.
// - An exit status other than 0, a death by signal, stdout that is not one JSON
//   value or that passes max_output_bytes fail the task with a CommandFailed whose
//   message carries the status and that stderr text.
// - When the task's stop token fires (timeout, cancel, node stopping past its
//   grace), the group gets SIGTERM, then SIGKILL `grace` later. When the program
//   exits, what it left running in its group is killed. The function returns only
//   once the program is reaped: it never leaves a zombie.
//
// The returned function is safe to call from any number of worker threads at once.
// It needs Linux 5.3 or later (pidfd_open) and a process that does not ignore
// SIGCHLD.
//
//   zerotask::Node node(config);
//   node.register_function("resize", zerotask::command_function({.argv = {"python3", "resize.py"}}));
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "zerotask/node.hpp"

namespace zerotask {

struct CommandSpec {
  // The program and its arguments. argv[0] without a '/' is looked up in PATH when
  // a task starts, as execvp would; it is passed to the program as its argv[0].
  std::vector<std::string> argv;
  // How long a stopped program has between SIGTERM and SIGKILL; 0: SIGKILL at once.
  std::chrono::milliseconds grace{5000};
  // The program's address space limit (RLIMIT_AS, set before exec) in MiB; 0: none.
  std::uint64_t memory_limit_mb = 0;
  // The most stdout a task may write; past it the program is stopped and the task
  // fails. The default is the broker's default --max-message-bytes.
  std::size_t max_output_bytes = 16 * 1024 * 1024;
};

// The error of a task whose program failed; tasks see it as task_failed with
// data.type "zerotask::CommandFailed".
class CommandFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws std::invalid_argument for an empty argv or argv[0], a negative grace, a
// memory limit over 16,777,216 MiB (16 TiB) or a max_output_bytes of 0.
TaskFunction command_function(CommandSpec spec);

// Splits a command line into argv the way `node --command` does: words separated by
// blanks; '...' keeps everything literally; "..." keeps everything but \" and \\,
// which stand for " and \; outside quotes a backslash keeps the next character. No
// shell runs: $VAR, ~, globs, |, ;, > and the like are ordinary characters. Throws
// std::invalid_argument for an unterminated quote, a trailing backslash or no word.
std::vector<std::string> split_command_line(std::string_view line);

}  // namespace zerotask

// run_command: drives one started CommandProcess to its end. One poll loop writes
// the input to its stdin and reads its stdout and stderr as they come, so a command
// that writes much before it reads, or much on both pipes, never blocks on a full
// pipe. It also waits on the process's exit and on the task's stop token:
//
// - When the token fires, or stdout passes max_output_bytes, the group gets SIGTERM
//   and, `grace` later, SIGKILL (at once with a grace of 0).
// - When the leader exits, what it left in its group gets SIGKILL and the leader is
//   reaped; output still buffered in the pipes is read for up to kDrainAfterExit
//   more (only a process that left the group can hold them open longer).
//
// Returns once the leader is reaped. Runs on the calling thread, with SIGPIPE
// blocked on it meanwhile (a command that closes its stdin early makes writes fail
// with EPIPE rather than raise SIGPIPE in the node).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "command_process.hpp"
#include "command_stderr.hpp"

namespace zerotask::node_impl {

constexpr std::chrono::milliseconds kDrainAfterExit{1000};

struct CommandRunLimits {
  std::chrono::milliseconds grace{5000};
  std::size_t max_output_bytes = 0;
};

struct CommandRun {
  std::optional<int> wait_status;  // as waitpid gives it; nullopt: reaped by someone else
  std::string output;              // stdout, whole unless output_too_large
  bool output_too_large = false;
  bool stopped = false;  // the stop token fired while the command ran
};

CommandRun run_command(CommandProcess& process, std::string_view input, const CommandRunLimits& limits,
                       CommandStderr& stderr_lines, std::stop_token stop);

}  // namespace zerotask::node_impl

// The exit codes of zt, part of its command-line contract (scripts test them).
#pragma once

namespace zerotask::zt {

enum ExitCode : int {
  kOk = 0,
  kTaskFailed = 1,   // the task failed or was cancelled (and unexpected errors)
  kUsage = 2,        // bad command line: unknown option, bad JSON in --params, bad task id
  kUnreachable = 3,  // the broker cannot be reached
  kTimedOut = 4,     // the wait or call ran past --timeout
  kRefused = 5,      // the broker refused the request: unknown task, invalid params, no node...
  kBusy = 6,         // the broker is overloaded or cannot store; nothing was done, try again later
};

inline constexpr const char* kExitCodeHelp =
    "Exit codes:\n"
    "  0  success\n"
    "  1  the task failed or was cancelled\n"
    "  2  usage error (unknown option, bad JSON in --params, bad task id)\n"
    "  3  the broker cannot be reached\n"
    "  4  timed out (--timeout, or the call's default deadline)\n"
    "  5  the broker refused the request (unknown task, invalid params, no node...)\n"
    "  6  the broker is busy (overloaded, or its store cannot write): nothing was done, try again later";

}  // namespace zerotask::zt

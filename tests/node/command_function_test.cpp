// command_function: real programs (sh, python3) run as tasks, called directly with a
// TestContext. Every case also checks that the test process has no child left
// (nothing unreaped), and the stopping cases that nothing of the command's process
// group still runs.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_context.hpp"
#include "test_support.hpp"
#include "zerotask/command_function.hpp"

namespace zerotask::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

CommandSpec sh(std::string script) {
  return CommandSpec{.argv = {"sh", "-c", std::move(script)}};
}

CommandSpec python(std::string script) {
  return CommandSpec{.argv = {"python3", "-c", std::move(script)}};
}

json run(const CommandSpec& spec, const json& params = nullptr) {
  TestContext context;
  return command_function(spec)(params, context);
}

// The message of the CommandFailed that running `spec` throws ("" if none).
std::string failure_of(const CommandSpec& spec, const json& params = nullptr) {
  try {
    run(spec, params);
  } catch (const CommandFailed& failure) {
    return failure.what();
  }
  return "";
}

// True when this process has no child, running or unreaped.
bool no_child_left() {
  errno = 0;
  return waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

// The processes of group `group` that still run (zombies excluded: they are dead,
// and their parent, not this process, reaps them).
std::vector<pid_t> live_in_group(pid_t group) {
  std::vector<pid_t> live;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat_file(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long parent = 0;
    long process_group = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %ld %ld", &state, &parent, &process_group) != 3) continue;
    if (process_group == group && state != 'Z' && state != 'X') live.push_back(std::stoi(name));
  }
  return live;
}

pid_t pid_in(const std::string& file) {
  std::ifstream in(file);
  pid_t pid = -1;
  in >> pid;
  return pid;
}

struct StoppedRun {
  std::string error;
  Clock::duration took{};   // from the stop to the function's return
  bool group_gone = false;  // nothing of the command's group runs, nothing is left unreaped
};

// Runs `spec`, whose script writes its pid (its group's id) to `pid_file` once it is
// ready to be stopped, and then fires the task's stop token, as the node's timer
// does at a task's deadline and node.cancel does.
StoppedRun run_stopped(const CommandSpec& spec, const std::string& pid_file) {
  TestContext context;
  auto function = command_function(spec);
  StoppedRun stopped;
  Clock::time_point stopped_at{};
  Clock::time_point returned{};
  {
    std::jthread stopper([&] {
      wait_until([&] { return pid_in(pid_file) > 0; });
      stopped_at = Clock::now();
      context.request_stop();
    });
    try {
      function(nullptr, context);
    } catch (const CommandFailed& failure) {
      stopped.error = failure.what();
    }
    returned = Clock::now();
  }  // the stopper is joined: stopped_at is written
  stopped.took = returned - stopped_at;
  pid_t group = pid_in(pid_file);
  stopped.group_gone = group > 0 && wait_until([&] { return live_in_group(group).empty(); }, 5s) && no_child_left();
  return stopped;
}

}  // namespace

TEST_CASE("a command gets the params as one JSON line on stdin and its stdout is the result" * doctest::timeout(30)) {
  json params = {{"image", "cat.png"}, {"sizes", {64, 128}}};
  CHECK(run(sh("cat"), params) == params);
  CHECK(run(sh("wc -l"), params) == 1);
  CHECK(run(python("import json, sys; a, b = json.load(sys.stdin); print(json.dumps({'sum': a + b}))"), json{5, 6}) ==
        json{{"sum", 11}});
  CHECK(no_child_left());
}

TEST_CASE("a command finds the task's id and attempt in its environment" * doctest::timeout(30)) {
  CHECK(run(sh("printf '[\"%s\", %s]' \"$ZEROTASK_TASK_ID\" \"$ZEROTASK_ATTEMPT\"")) == json{"0000000000000001", 1});
}

TEST_CASE("progress and partial lines on stderr reach the task's context" * doctest::timeout(30)) {
  TestContext context;
  auto function = command_function(sh(R"(
    echo 'zerotask-progress {"done":1,"total":2,"message":"half"}' >&2
    echo 'zerotask-partial ["first piece"]' >&2
    echo 'zerotask-progress {"done":2,"total":2}' >&2
    echo '"done"')"));
  CHECK(function(nullptr, context) == "done");
  REQUIRE(context.progress().size() == 2);
  CHECK(context.progress()[0] == json{{"done", 1}, {"total", 2}, {"message", "half"}});
  CHECK(context.progress()[1] == json{{"done", 2}, {"total", 2}});
  REQUIRE(context.partials().size() == 1);
  CHECK(context.partials()[0] == json{"first piece"});
}

TEST_CASE("a non-zero exit fails the task with the status and the stderr text, report lines left out" *
          doctest::timeout(30)) {
  CHECK(failure_of(sh("echo 'zerotask-progress 1' >&2; echo 'disk full' >&2; echo 'giving up' >&2; exit 3")) ==
        "command 'sh' exited with status 3; stderr: disk full\ngiving up");
  CHECK(failure_of(sh("exit 1")) == "command 'sh' exited with status 1 (nothing on stderr)");
  CHECK(no_child_left());
}

TEST_CASE("a command killed by a signal fails the task naming the signal" * doctest::timeout(30)) {
  CHECK(failure_of(sh("echo crashing >&2; kill -SEGV $$")) ==
        "command 'sh' was killed by signal 11 (SIGSEGV); stderr: crashing");
}

TEST_CASE("the stderr of a failed command is cut to its last 4 KiB" * doctest::timeout(30)) {
  std::string message = failure_of(sh("i=0; while [ $i -lt 3000 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 2"));
  CHECK(message.starts_with("command 'sh' exited with status 2; stderr: "));
  CHECK(message.ends_with("line 2998\nline 2999"));
  CHECK(message.size() <= std::string("command 'sh' exited with status 2; stderr: ").size() + 4096);
}

TEST_CASE("stdout that is not one JSON value, or nothing at all, fails the task" * doctest::timeout(30)) {
  CHECK(failure_of(sh("echo hello")) ==
        "command 'sh' wrote stdout that is not one JSON value: \"hello\\n\" (nothing on stderr)");
  CHECK(failure_of(sh("echo 1 2")) ==
        "command 'sh' wrote stdout that is not one JSON value: \"1 2\\n\" (nothing on stderr)");
  CHECK(failure_of(sh("echo warn >&2")) ==
        "command 'sh' wrote nothing on stdout (the result must be one JSON value, e.g. null); stderr: warn");
  std::string long_output = failure_of(sh("head -c 1000 /dev/zero | tr '\\0' a"));
  CHECK(long_output == "command 'sh' wrote stdout that is not one JSON value: \"" + std::string(200, 'a') +
                           "...\" (nothing on stderr)");
}

TEST_CASE("a program that does not exist or cannot run fails the task saying so" * doctest::timeout(30)) {
  CHECK(failure_of(CommandSpec{.argv = {"zerotask-no-such-program", "x"}}) ==
        "command 'zerotask-no-such-program' not found in PATH");
  CHECK(failure_of(CommandSpec{.argv = {"/nonexistent/program"}}) ==
        "cannot run command '/nonexistent/program': No such file or directory");
  TempDir dir;
  std::ofstream(dir.file("script")) << "#!/bin/sh\necho 1\n";
  CHECK(failure_of(CommandSpec{.argv = {dir.file("script")}}) ==
        "cannot run command '" + dir.file("script") + "': Permission denied");
  chmod(dir.file("script").c_str(), 0755);
  CHECK(run(CommandSpec{.argv = {dir.file("script")}}) == 1);
  CHECK(no_child_left());
}

TEST_CASE("stdout past max_output_bytes stops the command and fails the task" * doctest::timeout(30)) {
  CommandSpec spec = sh("while true; do echo 1111111111; done");
  spec.max_output_bytes = 1000;
  auto started = Clock::now();
  CHECK(failure_of(spec) == "command 'sh' wrote more than 1000 bytes on stdout (the limit) (nothing on stderr)");
  CHECK(Clock::now() - started < 5s);
  CHECK(no_child_left());
}

TEST_CASE("much output on both pipes while big params wait on stdin does not deadlock" * doctest::timeout(60)) {
  // Writes 4 MiB on stdout and 4 MiB on stderr before it reads its 2 MiB of params:
  // each pipe holds 64 KiB, so the node must read both while it writes.
  CommandSpec spec = python(R"(
import json, sys
sys.stdout.write('["')
for _ in range(64):
    sys.stdout.write('y' * 65536); sys.stdout.flush()
    sys.stderr.write('e' * 65535 + '\n'); sys.stderr.flush()
params = json.load(sys.stdin)
sys.stdout.write('", %d]' % len(params[0]))
)");
  json result = run(spec, json{std::string(2 * 1024 * 1024, 'p')});
  CHECK(result == json{std::string(4 * 1024 * 1024, 'y'), 2 * 1024 * 1024});
  CHECK(no_child_left());
}

TEST_CASE("a command that never reads its params succeeds, the node unharmed by the closed pipe" *
          doctest::timeout(30)) {
  CHECK(run(sh("exec 0<&-; echo 5"), json{std::string(1024 * 1024, 'p')}) == 5);
  CHECK(run(sh("echo 6"), json{std::string(1024 * 1024, 'p')}) == 6);
  CHECK(no_child_left());
}

TEST_CASE("processes a command leaves running in its group are killed when it exits" * doctest::timeout(30)) {
  TempDir dir;
  auto started = Clock::now();
  // The background sleep holds stdout open: the result comes once it is killed.
  CHECK(run(sh("sleep 30 & echo $$ > " + dir.file("pid") + "; echo 1")) == 1);
  CHECK(Clock::now() - started < 5s);
  pid_t group = pid_in(dir.file("pid"));
  REQUIRE(group > 0);
  CHECK(wait_until([&] { return live_in_group(group).empty(); }, 5s));
  CHECK(no_child_left());
}

TEST_CASE("output held open by a process that left the group is given up a second after the command exits" *
          doctest::timeout(30)) {
  TempDir dir;
  auto started = Clock::now();
  // setsid takes the sleep out of the group (the command waits until it has left):
  // the node cannot kill it, and it holds stdout for 3 s.
  CHECK(run(sh("setsid sh -c 'echo left > " + dir.file("left") + "; exec sleep 3' & while [ ! -s " + dir.file("left") +
               " ]; do sleep 0.01; done; echo 1")) == 1);
  auto took = Clock::now() - started;
  CHECK(took >= 900ms);
  CHECK(took < 2500ms);
  CHECK(no_child_left());
}

TEST_CASE("a stopped task's command that ignores SIGTERM is killed after the grace, its whole group with it" *
          doctest::timeout(30)) {
  TempDir dir;
  CommandSpec spec = sh("trap '' TERM; echo $$ > " + dir.file("pid") + "; sleep 30 & wait; sleep 30");
  spec.grace = 500ms;
  StoppedRun stopped = run_stopped(spec, dir.file("pid"));
  CHECK(stopped.error == "command 'sh' was stopped (timeout, cancel or the node stopping) (nothing on stderr)");
  CHECK(stopped.took >= 500ms);
  CHECK(stopped.took < 5s);
  CHECK(stopped.group_gone);
}

TEST_CASE("a cancelled task's command ends at SIGTERM without waiting for the grace" * doctest::timeout(30)) {
  TempDir dir;
  CommandSpec spec = sh("echo $$ > " + dir.file("pid") + "; sleep 30 & wait");
  spec.grace = 20s;
  StoppedRun stopped = run_stopped(spec, dir.file("pid"));
  CHECK(stopped.error.starts_with("command 'sh' was stopped"));
  CHECK(stopped.took < 5s);
  CHECK(stopped.group_gone);
}

TEST_CASE("a task stopped before it starts runs no command" * doctest::timeout(30)) {
  TempDir dir;
  TestContext context;
  context.request_stop();
  auto function = command_function(sh("touch " + dir.file("ran")));
  CHECK_THROWS_WITH_AS(function(nullptr, context), "command 'sh' not started: the task was already stopped",
                       CommandFailed);
  CHECK_FALSE(std::filesystem::exists(dir.file("ran")));
}

TEST_CASE("a command over its memory limit fails with a message that says so" * doctest::timeout(30)) {
  CommandSpec spec = python("x = bytearray(512 * 1024 * 1024); print(len(x))");
  spec.memory_limit_mb = 128;
  std::string message = failure_of(spec);
  CHECK(message.starts_with(
      "command 'python3' exited with status 1 (out of memory: its limit is 128 MiB); stderr: Traceback"));
  CHECK(message.ends_with("MemoryError"));
  // Within the limit the same program runs.
  spec.argv.back() = "x = bytearray(16 * 1024 * 1024); print(len(x))";
  CHECK(run(spec) == 16 * 1024 * 1024);
  CHECK(no_child_left());
}

TEST_CASE("commands run at once on many threads each get their own params and result" * doctest::timeout(60)) {
  auto function = command_function(sh("sleep 0.05; cat"));
  std::vector<json> results(8);
  {
    std::vector<std::jthread> workers;
    for (std::size_t i = 0; i < results.size(); ++i) {
      workers.emplace_back([&, i] {
        TestContext context;
        results[i] = function(json{i, std::string(100 * 1024, 'p')}, context);
      });
    }
  }
  for (std::size_t i = 0; i < results.size(); ++i) CHECK(results[i] == json{i, std::string(100 * 1024, 'p')});
  CHECK(no_child_left());
}

TEST_CASE("a command gets no descriptor of the node beyond 0 to 2, and the node keeps none of its" *
          doctest::timeout(30)) {
  auto open_descriptors = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator{});
  };
  int inherited = open("/dev/null", O_RDONLY);  // not close-on-exec, as an embedder's may be
  REQUIRE(inherited > 2);
  auto before = open_descriptors();
  std::string script = "if [ -e /proc/$$/fd/" + std::to_string(inherited) + " ]; then echo true; else echo false; fi";
  CHECK(run(sh(script)) == false);
  CHECK(failure_of(sh("exit 1")) != "");
  CHECK(failure_of(CommandSpec{.argv = {"/nonexistent/program"}}) != "");
  CHECK(open_descriptors() == before);
  close(inherited);
}

TEST_CASE("command_function refuses a spec it cannot run" * doctest::timeout(10)) {
  CHECK_THROWS_WITH_AS(command_function(CommandSpec{}), "a command needs a program", std::invalid_argument);
  CHECK_THROWS_WITH_AS(command_function(CommandSpec{.argv = {""}}), "a command needs a program", std::invalid_argument);
  CHECK_THROWS_WITH_AS(command_function(CommandSpec{.argv = {"true"}, .grace = -1ms}),
                       "a command's grace must not be negative", std::invalid_argument);
  CHECK_THROWS_WITH_AS(command_function(CommandSpec{.argv = {"true"}, .memory_limit_mb = 16ULL * 1024 * 1024 + 1}),
                       "a command's memory limit must be at most 16777216 MiB", std::invalid_argument);
  CHECK_THROWS_WITH_AS(command_function(CommandSpec{.argv = {"true"}, .max_output_bytes = 0}),
                       "a command's max_output_bytes must be above 0", std::invalid_argument);
}

}  // namespace zerotask::testing

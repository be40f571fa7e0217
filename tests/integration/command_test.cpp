// Tasks in any language: the real broker and a `node --command` running small python3
// and sh scripts, driven over raw JSON-RPC and through zt (docs/COMMANDS.md).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>

#include "system_fixture.hpp"

using namespace zerotask::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Writes an executable script.
std::string script(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.file(name);
  std::ofstream(path) << text;
  chmod(path.c_str(), 0755);
  return path;
}

// True while process `pid` exists and is not a zombie.
bool running(pid_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

// The pids a script wrote to `file`, one a line, once there are `count` of them.
std::vector<pid_t> pids_in(const std::string& file, std::size_t count) {
  std::vector<pid_t> pids;
  wait_until([&] {
    pids.clear();
    std::ifstream in(file);
    for (pid_t pid = 0; in >> pid;) pids.push_back(pid);
    return pids.size() >= count;
  });
  return pids;
}

const char* const kAreaScript = R"(#!/usr/bin/env python3
import json, sys
params = json.load(sys.stdin)
for step in range(1, 4):
    print('zerotask-progress ' + json.dumps({'done': step, 'total': 3, 'message': 'step %d' % step}),
          file=sys.stderr, flush=True)
print('a plain line', file=sys.stderr)
print(json.dumps({'area': params['w'] * params['h']}))
)";

}  // namespace

TEST_CASE("a python script served with --command gets params on stdin and gives its result and progress" *
          doctest::timeout(60)) {
  TempDir dir;
  std::string area = script(dir, "area.py", kAreaScript);
  SystemFixture system;
  system.start_broker();
  system.start_node("n1", 2, {"--command", "area=python3 " + area});
  std::string id = system.result_of("task.submit", {{"function", "area"}, {"params", {{"w", 3}, {"h", 4}}}})["id"];
  json task = system.wait_for(id);
  CHECK(task["state"] == "SUCCEEDED");
  CHECK(task["result"] == json{{"area", 12}});
  CHECK(task["progress"] == json{{"done", 3}, {"total", 3}, {"message", "step 3"}});
  // The example functions are still served beside it.
  CHECK(system.zt({"call", "add", "5", "6"}).output == "11\n");
}

TEST_CASE("zt call of a failing command exits 1 with the exit status and the command's stderr" * doctest::timeout(60)) {
  TempDir dir;
  std::string broken = script(dir, "broken.sh", "#!/bin/sh\necho 'cannot open input.png' >&2\nexit 3\n");
  SystemFixture system;
  system.start_broker();
  system.start_node("n1", 2, {"--command", "broken=" + broken});
  auto result = system.zt({"call", "broken", "1", "--max-retries", "0"});
  CHECK(result.exit_code == 1);
  INFO(result.output);
  CHECK(result.output.find("command '" + broken + "' exited with status 3; stderr: cannot open input.png") !=
        std::string::npos);
}

TEST_CASE("a task's timeout kills a command that ignores SIGTERM after the grace, leaving no process" *
          doctest::timeout(60)) {
  TempDir dir;
  std::string pids = dir.file("pids");
  std::string term_ignoring =
      script(dir, "term_ignoring.sh",
             "#!/bin/sh\ntrap '' TERM\necho $$ >> " + pids + "\nsleep 60 &\necho $! >> " + pids + "\nwait\nsleep 60\n");
  SystemFixture system;
  system.start_broker();
  system.start_node("n1", 2, {"--command", "term_ignoring=" + term_ignoring, "--command-grace-ms", "500"});
  auto started = std::chrono::steady_clock::now();
  std::string id =
      system.result_of("task.submit", {{"function", "term_ignoring"}, {"timeout_ms", 1000}, {"max_retries", 0}})["id"];
  json task = system.wait_for(id);
  CHECK(task["state"] == "FAILED");
  CHECK(task["error"]["code"] == -32001);
  CHECK(std::chrono::steady_clock::now() - started >= 1500ms);  // the timeout, then the grace
  auto processes = pids_in(pids, 2);
  REQUIRE(processes.size() == 2);
  CHECK(wait_until([&] { return !running(processes[0]) && !running(processes[1]); }, 5s));
}

TEST_CASE("cancelling a running command's task ends the command and the task is CANCELLED" * doctest::timeout(60)) {
  TempDir dir;
  std::string pids = dir.file("pids");
  std::string slow = script(dir, "slow.sh", "#!/bin/sh\necho $$ >> " + pids + "\nsleep 60\n");
  SystemFixture system;
  system.start_broker();
  system.start_node("n1", 2, {"--command", "slow=" + slow});
  std::string id = system.result_of("task.submit", {{"function", "slow"}})["id"];
  auto processes = pids_in(pids, 1);
  REQUIRE(processes.size() == 1);
  REQUIRE(wait_until([&] { return system.result_of("task.get", {{"id", id}})["state"] == "RUNNING"; }));
  system.result_of("task.cancel", {{"id", id}});
  json task = system.wait_for(id);
  CHECK(task["state"] == "CANCELLED");
  CHECK(wait_until([&] { return !running(processes[0]); }, 5s));
}

TEST_CASE("node refuses a --command it cannot serve, naming the problem" * doctest::timeout(60)) {
  std::string endpoint = free_tcp_endpoint();
  auto missing = run_command(bin_dir() + "/node", {"--broker", endpoint, "--command", "x=zerotask-no-such-program a"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.output == "node: --command x: program 'zerotask-no-such-program' not found in PATH\n");
  auto no_name = run_command(bin_dir() + "/node", {"--broker", endpoint, "--command", "python3 x.py"});
  CHECK(no_name.exit_code == 2);
  CHECK(no_name.output == "node: --command expects NAME=COMMAND, got 'python3 x.py'\n");
  auto unterminated = run_command(bin_dir() + "/node", {"--broker", endpoint, "--command", "x=sh -c 'echo"});
  CHECK(unterminated.exit_code == 2);
  CHECK(unterminated.output == "node: --command x: cannot split the command line 'sh -c 'echo': a ' is not closed\n");
  auto twice = run_command(bin_dir() + "/node", {"--broker", endpoint, "--command", "x=true", "--command", "x=false"});
  CHECK(twice.exit_code == 2);
  CHECK(twice.output == "node: --command x is given twice\n");
}

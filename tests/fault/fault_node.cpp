// fault_node: a node for the fault-injection suite (tests/fault), built on the
// public node API only. It serves two functions whose side effects the tests can
// audit after the fact:
//
//   effect {"key": "<string>", "ms": <optional int>, "tag": <optional bool>}
//     sleeps `ms` in small steps (ending the sleep early when the task's stop token
//     fires), then appends "<key> <attempt> <task id> <node name>\n" to the ledger
//     file with one write() on a descriptor opened O_APPEND, so that lines written
//     by several processes never interleave, and returns the key (with "tag": true,
//     {"key", "node", "attempt"}, so that a test can tell which run produced the
//     stored result).
//   crash
//     ends the whole process at once (_exit, no clean-up, no goodbye): a task that
//     always kills its worker.
//
// SIGINT/SIGTERM stop the node gracefully (Node::stop), as for the `node` executable.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "zerotask/endpoint.hpp"
#include "zerotask/log.hpp"
#include "zerotask/node.hpp"
#include "zerotask/stop_signals.hpp"

namespace {

// Exit status of a process ended by `crash`, so that a supervisor can tell it from
// other deaths.
constexpr int kCrashExitCode = 86;
constexpr std::chrono::milliseconds kSleepStep{5};

// The ledger: one descriptor for the process, shared by the worker threads.
class Ledger {
 public:
  explicit Ledger(const std::string& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw std::runtime_error("cannot open the ledger " + path + ": " + std::strerror(errno));
  }
  ~Ledger() { ::close(fd_); }
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // One write() per line: O_APPEND makes each one land whole at the end of the file.
  void append(const std::string& line) const {
    ssize_t written = ::write(fd_, line.data(), line.size());
    if (written != static_cast<ssize_t>(line.size())) {
      throw std::runtime_error(std::string("ledger write failed: ") +
                               (written < 0 ? std::strerror(errno) : "short write"));
    }
  }

 private:
  int fd_;
};

void sleep_unless_stopped(std::chrono::milliseconds total, const std::stop_token& stop) {
  auto deadline = std::chrono::steady_clock::now() + total;
  while (!stop.stop_requested()) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, kSleepStep));
  }
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "fault_node: a zerotask node serving `effect` (audited in a ledger file) and `crash` (ends the process)."};
  std::string broker = "tcp://127.0.0.1:5555";
  std::string events;
  unsigned threads = 2;
  std::string name;
  int heartbeat_ms = 1000;
  std::string ledger_path;
  std::string functions = "effect,crash";
  int crash_max_retries = -1;
  std::string log_level = "info";
  app.add_option("--broker", broker, "The broker's request endpoint")->capture_default_str();
  app.add_option("--events", events, "The broker's event endpoint (default: the --broker port + 1)");
  app.add_option("--threads", threads, "Worker threads")->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--name", name, "The node's name (default: <host>-<pid>-<random>)");
  app.add_option("--heartbeat-ms", heartbeat_ms, "Milliseconds between heartbeats")
      ->capture_default_str()
      ->check(CLI::Range(10, 3600000));
  app.add_option("--ledger", ledger_path, "The file `effect` appends its lines to")->required();
  app.add_option("--functions", functions, "Comma-separated functions to serve: effect, crash")->capture_default_str();
  app.add_option("--crash-max-retries", crash_max_retries,
                 "If set (0 to 100), announce this max_retries default for `crash` in node.hello")
      ->check(CLI::Range(0, 100));
  app.add_option("--log-level", log_level, "error, warn, info or debug")
      ->capture_default_str()
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  CLI11_PARSE(app, argc, argv);

  zerotask::set_log_level(*zerotask::parse_log_level(log_level));
  if (events.empty()) {
    auto derived = zerotask::default_event_endpoint(zerotask::connectable_endpoint(broker));
    if (!derived) {
      std::fprintf(stderr, "fault_node: cannot derive the event endpoint from --broker %s; give --events\n",
                   broker.c_str());
      return 2;
    }
    events = *derived;
  }

  try {
    Ledger ledger(ledger_path);
    zerotask::NodeConfig config;
    config.broker_endpoint = broker;
    config.event_endpoint = events;
    config.threads = threads;
    config.name = name;
    config.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
    zerotask::Node node(config);
    const std::string& node_name = node.name();

    for (const auto& function : split_list(functions)) {
      if (function == "effect") {
        node.register_function(
            "effect",
            [&ledger, &node_name](const zerotask::json& params, zerotask::TaskContext& task) -> zerotask::json {
              if (!params.is_object() || !params.contains("key") || !params["key"].is_string()) {
                throw std::invalid_argument("effect takes {\"key\": <string>, \"ms\": <int>}");
              }
              std::string key = params["key"].get<std::string>();
              if (key.empty() || key.find_first_of(" \n") != std::string::npos) {
                throw std::invalid_argument("an effect key is a non-empty string without spaces or newlines");
              }
              auto ms = params.value("ms", std::int64_t{0});
              if (ms > 0) sleep_unless_stopped(std::chrono::milliseconds(ms), task.stop_token());
              ledger.append(key + " " + std::to_string(task.attempt()) + " " + task.task_id() + " " + node_name + "\n");
              if (params.value("tag", false)) {
                return zerotask::json{{"key", key}, {"node", node_name}, {"attempt", task.attempt()}};
              }
              return key;
            });
      } else if (function == "crash") {
        zerotask::FunctionOptions options;
        if (crash_max_retries >= 0) options.max_retries = crash_max_retries;
        node.register_function(
            "crash", [](const zerotask::json&, zerotask::TaskContext&) -> zerotask::json { ::_exit(kCrashExitCode); },
            options);
      } else {
        std::fprintf(stderr, "fault_node: unknown function %s (known: effect, crash)\n", function.c_str());
        return 2;
      }
    }

    zerotask::StopSignals signals([&node] { node.stop(); });
    std::printf("fault_node %s serving %s on %s\n", node_name.c_str(), functions.c_str(), broker.c_str());
    std::fflush(stdout);
    node.run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fault_node: %s\n", error.what());
    return 1;
  }
  return 0;
}

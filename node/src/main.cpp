// The `node` executable: serves the example functions to a broker until SIGINT or
// SIGTERM. The first signal stops the node gracefully (Node::stop); a second one
// exits at once.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "example_functions.hpp"
#include "zerotask/endpoint.hpp"
#include "zerotask/limits.hpp"
#include "zerotask/log.hpp"
#include "zerotask/node.hpp"
#include "zerotask/stop_signals.hpp"
#include "zerotask/version.hpp"

namespace {

std::string functions_help() {
  std::string help = "Example functions (params -> result):\n";
  for (const auto& example : zerotask::examples::example_functions()) {
    std::string name(example.name);
    help += "  " + name + std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') + std::string(example.usage) + "\n";
  }
  return help;
}

// A node name or a queue name: 1 to 128 bytes (docs/PROTOCOL.md).
std::string name_bytes(const std::string& value) {
  return value.empty() || value.size() > zerotask::kMaxNameBytes ? std::string("must be 1 to 128 bytes")
                                                                 : std::string();
}

std::vector<std::string> function_names() {
  std::vector<std::string> names;
  for (const auto& example : zerotask::examples::example_functions()) names.emplace_back(example.name);
  return names;
}

std::string comma_separated(const std::vector<std::string>& items) {
  std::string list;
  for (const auto& item : items) {
    if (!list.empty()) list += ", ";
    list += item;
  }
  return list;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zerotask node: runs functions for the tasks a zerotask broker hands out."};
  std::string broker = "tcp://127.0.0.1:5555";
  std::string events;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string name;
  std::vector<std::string> queues{"default"};
  int heartbeat_ms = 1000;
  std::string log_level = "info";
  app.add_option("--broker", broker, "The broker's request endpoint")->capture_default_str();
  app.add_option("--events", events, "The broker's event endpoint (default: the --broker port + 1)");
  app.add_option("--threads", threads, "Worker threads: how many tasks run at once")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, zerotask::kMaxSlots));
  app.add_option("--name", name, "The node's name, unique among the broker's nodes (default: <host>-<pid>-<random>)")
      ->check(name_bytes);
  app.add_option("--queues", queues,
                 "The queues whose tasks this node runs, comma-separated, up to 100 (default: default, the queue of "
                 "tasks submitted without one)")
      ->delimiter(',')
      ->check(name_bytes);
  app.add_option("--heartbeat-ms", heartbeat_ms, "Milliseconds between heartbeats to the broker")
      ->capture_default_str()
      ->check(CLI::Range(10, 3600000));
  app.add_option("--log-level", log_level, "Logging on stderr: error, warn, info or debug")
      ->capture_default_str()
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  app.set_version_flag("--version", std::string(zerotask::version()), "Print the version and exit");
  app.footer(functions_help());
  CLI11_PARSE(app, argc, argv);

  zerotask::set_log_level(*zerotask::parse_log_level(log_level));
  if (events.empty()) {
    auto derived = zerotask::default_event_endpoint(zerotask::connectable_endpoint(broker));
    if (!derived) {
      std::fprintf(stderr, "node: cannot derive the event endpoint from --broker %s; give --events\n", broker.c_str());
      return 2;
    }
    events = *derived;
  }

  try {
    zerotask::NodeConfig config;
    config.broker_endpoint = broker;
    config.event_endpoint = events;
    config.threads = threads;
    config.name = name;
    config.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
    config.queues = queues;
    zerotask::Node node(std::move(config));
    zerotask::examples::register_example_functions(node);
    // Node's constructor starts no thread, so the signal mask set here reaches every
    // thread run() starts (workers and ZeroMQ's own).
    zerotask::StopSignals signals([&node] {
      zerotask::log(zerotask::LogLevel::Info, "node", "stopping on signal; send it again to exit at once");
      node.stop();
    });

    std::printf("zerotask node %s serving %s (events %s), threads: %u, queues: %s, functions: %s\n",
                node.name().c_str(), broker.c_str(), events.c_str(), threads, comma_separated(queues).c_str(),
                comma_separated(function_names()).c_str());
    std::fflush(stdout);

    node.run();
  } catch (const std::exception& error) {
    zerotask::log(zerotask::LogLevel::Error, "node", error.what());
    return 1;
  }
  return 0;
}

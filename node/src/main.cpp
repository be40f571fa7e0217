// The `node` executable: serves the example functions, and the programs given with
// --command (docs/COMMANDS.md), to a broker until SIGINT or SIGTERM. The first
// signal stops the node gracefully (Node::stop); a second one exits at once.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "command_process.hpp"
#include "example_functions.hpp"
#include "zerotask/command_function.hpp"
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
  help +=
      "\nTasks in any language: --command resize='python3 /opt/tasks/resize.py --fast' serves 'resize' by running\n"
      "the program for each task: params as JSON on its stdin, the result as JSON on its stdout, lines\n"
      "'zerotask-progress {\"done\":3,\"total\":10}' on its stderr as progress. The command is split into words\n"
      "like a shell would ('...', \"...\", \\) but no shell runs it. A command named like an example replaces it.\n"
      "See docs/COMMANDS.md.\n";
  return help;
}

struct NamedCommand {
  std::string name;
  zerotask::CommandSpec spec;
};

// One --command NAME=COMMAND, its program found now so that a typo fails at start
// rather than at each task. Throws std::invalid_argument with the reason.
NamedCommand parse_command(const std::string& option, const zerotask::CommandSpec& defaults) {
  auto equals = option.find('=');
  if (equals == std::string::npos) {
    throw std::invalid_argument("--command expects NAME=COMMAND, got '" + option + "'");
  }
  NamedCommand command{option.substr(0, equals), defaults};
  if (command.name.empty() || command.name.size() > zerotask::kMaxNameBytes) {
    throw std::invalid_argument("--command " + option + ": the function name must be 1 to 128 bytes");
  }
  try {
    command.spec.argv = zerotask::split_command_line(std::string_view(option).substr(equals + 1));
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument("--command " + command.name + ": " + error.what());
  }
  if (!zerotask::node_impl::find_executable(command.spec.argv.front())) {
    throw std::invalid_argument("--command " + command.name + ": program '" + command.spec.argv.front() +
                                "' not found in PATH");
  }
  return command;
}

// A node name or a queue name: 1 to 128 bytes (docs/PROTOCOL.md).
std::string name_bytes(const std::string& value) {
  return value.empty() || value.size() > zerotask::kMaxNameBytes ? std::string("must be 1 to 128 bytes")
                                                                 : std::string();
}

std::vector<std::string> function_names(const std::vector<NamedCommand>& commands) {
  std::set<std::string> names;
  for (const auto& example : zerotask::examples::example_functions()) names.emplace(example.name);
  for (const auto& command : commands) names.insert(command.name);
  return {names.begin(), names.end()};
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
  std::vector<std::string> command_options;
  zerotask::CommandSpec command_defaults;
  int command_grace_ms = static_cast<int>(command_defaults.grace.count());
  std::int64_t command_max_output_bytes = static_cast<std::int64_t>(command_defaults.max_output_bytes);
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
  app.add_option("--command", command_options,
                 "Serves function NAME by running COMMAND for each task (repeatable; see below and docs/COMMANDS.md)")
      ->type_name("NAME=COMMAND")
      ->allow_extra_args(false);
  app.add_option("--command-grace-ms", command_grace_ms,
                 "Milliseconds a stopped command (timeout, cancel) has between SIGTERM and SIGKILL")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600000));
  app.add_option("--command-memory-mb", command_defaults.memory_limit_mb,
                 "Address space limit of each command in MiB (RLIMIT_AS); 0: none")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{16} * 1024 * 1024));
  app.add_option("--command-max-output-bytes", command_max_output_bytes,
                 "The most a command may write on stdout; past it the task fails")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 32));
  std::string curve_key_file;
  std::string broker_key_file;
  app.add_option("--curve-key", curve_key_file,
                 "This node's key pair, a file from `zt keygen`, for a broker that requires CURVE (default: the "
                 "secret key in ZEROTASK_SECRET_KEY)");
  app.add_option("--broker-key", broker_key_file,
                 "The broker's public key file (default: the key in ZEROTASK_BROKER_KEY)");
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
  command_defaults.grace = std::chrono::milliseconds(command_grace_ms);
  command_defaults.max_output_bytes = static_cast<std::size_t>(command_max_output_bytes);
  std::vector<NamedCommand> commands;
  std::optional<zerotask::CurveCredentials> curve;
  try {
    curve = zerotask::resolve_curve_credentials(curve_key_file, broker_key_file);
    // The commands this node runs inherit its environment: not its secret key.
    ::unsetenv("ZEROTASK_SECRET_KEY");
    std::set<std::string> names;
    for (const auto& option : command_options) {
      commands.push_back(parse_command(option, command_defaults));
      if (!names.insert(commands.back().name).second) {
        throw std::invalid_argument("--command " + commands.back().name + " is given twice");
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "node: %s\n", error.what());
    return 2;
  }

  try {
    zerotask::NodeConfig config;
    config.broker_endpoint = broker;
    config.event_endpoint = events;
    config.threads = threads;
    config.name = name;
    config.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
    config.queues = queues;
    config.curve = curve;
    zerotask::Node node(std::move(config));
    zerotask::examples::register_example_functions(node);
    for (auto& command : commands) {
      node.register_function(command.name, zerotask::command_function(std::move(command.spec)));
    }
    // Node's constructor starts no thread, so the signal mask set here reaches every
    // thread run() starts (workers and ZeroMQ's own).
    zerotask::StopSignals signals([&node] {
      zerotask::log(zerotask::LogLevel::Info, "node", "stopping on signal; send it again to exit at once");
      node.stop();
    });

    std::printf("zerotask node %s serving %s (events %s), threads: %u, queues: %s, functions: %s\n",
                node.name().c_str(), broker.c_str(), events.c_str(), threads, comma_separated(queues).c_str(),
                comma_separated(function_names(commands)).c_str());
    std::fflush(stdout);

    node.run();
  } catch (const std::exception& error) {
    zerotask::log(zerotask::LogLevel::Error, "node", error.what());
    return 1;
  }
  return 0;
}

#include "fault_cluster.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "zerotask/clock.hpp"

namespace zerotask::fault {
namespace {

using Clock = std::chrono::steady_clock;

// The processes' log level: info, or ZEROTASK_FAULT_LOG_LEVEL (e.g. debug) when set.
std::string log_level() {
  const char* level = std::getenv("ZEROTASK_FAULT_LOG_LEVEL");
  return level && *level ? level : "info";
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  if (file) text << file.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) lines.push_back(line);
  return lines;
}

}  // namespace

FaultCluster::FaultCluster()
    : endpoint(zerotask::testing::free_tcp_endpoint()),
      store_path(dir.file("tasks.db")),
      ledger_path(dir.file("ledger.txt")) {}

FaultCluster::~FaultCluster() {
  // Nodes first: a node outliving its broker only retries its connection.
  nodes_.clear();
  broker.reset();
  peer_.reset();
}

std::string FaultCluster::log_file(const std::string& process) const {
  return dir.file(process + ".log");
}

std::unique_ptr<ChildProcess> FaultCluster::spawn(const std::string& process, const std::string& program,
                                                  const std::vector<std::string>& args) {
  std::string log = log_file(process);
  {
    std::ofstream marker(log, std::ios::app);
    marker << "=== " << process << " started at " << zerotask::unix_time_ms() << " ===\n";
  }
  if (std::find(log_names_.begin(), log_names_.end(), process) == log_names_.end()) log_names_.push_back(process);
  // The shell only sends the output to the log and becomes the program (exec): the
  // child's pid is the program's, for signals.
  std::vector<std::string> shell_args = {"-c", "exec \"$@\" >>\"$0\" 2>&1", log, program};
  shell_args.insert(shell_args.end(), args.begin(), args.end());
  return std::make_unique<ChildProcess>("/bin/sh", shell_args);
}

void FaultCluster::start_broker(const std::vector<std::string>& extra_args, const std::string& store,
                                std::chrono::milliseconds timeout) {
  std::vector<std::string> args = {"--endpoint",
                                   endpoint,
                                   "--store",
                                   store.empty() ? store_path : store,
                                   "--heartbeat-ms",
                                   std::to_string(kHeartbeat.count()),
                                   "--retry-backoff-ms",
                                   "10",
                                   "--log-level",
                                   log_level()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  broker = spawn("broker", zerotask::testing::bin_dir() + "/broker", args);
  peer_ = std::make_unique<zerotask::testing::RawPeer>(context, endpoint);
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (!broker->running()) throw std::runtime_error("the broker exited at start:\n" + log_tails(10));
    auto pong = request("broker.ping", nullptr, std::chrono::milliseconds(200));
    if (pong && pong->contains("result")) return;
  }
  throw std::runtime_error("the broker did not answer broker.ping within " + std::to_string(timeout.count()) +
                           " ms:\n" + log_tails(10));
}

int FaultCluster::stop_broker(int signo, std::chrono::milliseconds timeout) {
  if (!broker) return -1;
  broker->signal(signo);
  int status = broker->wait(timeout);
  if (status == -1) {
    broker->signal(SIGKILL);
    broker->wait(std::chrono::seconds(5));
  }
  return status;
}

bool FaultCluster::broker_running() {
  return broker && broker->running();
}

ChildProcess& FaultCluster::start_node(const std::string& name, int threads,
                                       const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {"--broker",       endpoint,
                                   "--name",         name,
                                   "--threads",      std::to_string(threads),
                                   "--heartbeat-ms", std::to_string(kHeartbeat.count()),
                                   "--ledger",       ledger_path,
                                   "--log-level",    log_level()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  nodes_.erase(name);  // kills and reaps an earlier process of that name
  auto& slot = nodes_[name];
  slot = spawn(name, zerotask::testing::bin_dir() + "/fault_node", args);
  return *slot;
}

void FaultCluster::kill_node(const std::string& name) {
  auto found = nodes_.find(name);
  if (found == nodes_.end()) return;
  found->second->signal(SIGKILL);
  found->second->wait(std::chrono::seconds(5));
}

std::set<std::string> FaultCluster::listed_nodes() {
  std::set<std::string> names;
  auto response = request("broker.nodes", nullptr, std::chrono::milliseconds(500));
  if (!response || !response->contains("result")) return names;
  for (const auto& node : (*response)["result"]["nodes"]) names.insert(node.value("name", ""));
  return names;
}

bool FaultCluster::wait_for_nodes(const std::set<std::string>& names, std::chrono::milliseconds timeout) {
  return zerotask::testing::wait_until(
      [&] {
        auto listed = listed_nodes();
        for (const auto& name : names) {
          if (!listed.contains(name)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            return false;
          }
        }
        return true;
      },
      timeout);
}

std::optional<json> FaultCluster::request(const std::string& method, const json& params,
                                          std::chrono::milliseconds timeout) {
  if (!peer_) return std::nullopt;
  try {
    return peer_->call(method, params, timeout);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

json FaultCluster::result(const std::string& method, const json& params, std::chrono::milliseconds timeout) {
  auto response = request(method, params, timeout);
  if (!response)
    throw std::runtime_error("no answer to " + method + " within " + std::to_string(timeout.count()) + " ms");
  if (!response->contains("result")) throw std::runtime_error(method + " failed: " + response->dump());
  return (*response)["result"];
}

std::optional<json> FaultCluster::submit_effect(const std::string& key, int ms, json extra,
                                                std::chrono::milliseconds timeout) {
  json params = {{"key", key}, {"ms", ms}};
  for (auto& [name, value] : extra.items()) params[name] = value;
  return request("task.submit", json{{"function", "effect"}, {"params", params}}, timeout);
}

bool FaultCluster::drain(const std::set<std::string>& keys, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    bool all_effects = check_ledger(ledger(), keys, std::set<std::string>{}).missing.empty();
    if (all_effects) {
      auto response = request("broker.stats", nullptr, std::chrono::milliseconds(500));
      if (response && response->contains("result")) {
        const json& tasks = (*response)["result"]["tasks"];
        if (tasks.value("QUEUED", 1) == 0 && tasks.value("PENDING", 1) == 0 && tasks.value("RUNNING", 1) == 0) {
          return true;
        }
      }
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string FaultCluster::log_tails(std::size_t lines) const {
  std::string text;
  for (const auto& name : log_names_) {
    auto all = lines_of(read_file(log_file(name)));
    std::size_t from = all.size() > lines ? all.size() - lines : 0;
    text += "---- " + name + ".log (last " + std::to_string(all.size() - from) + " of " + std::to_string(all.size()) +
            " lines)\n";
    for (std::size_t i = from; i < all.size(); ++i) text += all[i] + "\n";
  }
  return text;
}

std::vector<std::string> FaultCluster::log_lines_with(const std::string& text, const std::string& process) const {
  std::vector<std::string> found;
  for (const auto& name : log_names_) {
    if (!process.empty() && name != process) continue;
    for (auto& line : lines_of(read_file(log_file(name)))) {
      if (line.find(text) != std::string::npos) found.push_back(name + ": " + line);
    }
  }
  return found;
}

}  // namespace zerotask::fault

#include "deployment.hpp"

#include <stdexcept>
#include <thread>

#include "local_ports.hpp"
#include "workload.hpp"

namespace zerotask::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kReadyTimeout{10000};
constexpr std::chrono::milliseconds kProbeTimeout{200};

bool serves_noop(const json& node) {
  auto functions = node.find("functions");
  if (functions == node.end() || !functions->is_array()) return false;
  for (const auto& function : *functions) {
    if (function.is_string() && function.get_ref<const std::string&>() == kNoopFunction) return true;
  }
  return false;
}

}  // namespace

Deployment::Deployment(std::string endpoint, std::string event_endpoint)
    : endpoint_(std::move(endpoint)), event_endpoint_(std::move(event_endpoint)) {}

Deployment Deployment::start_reference(std::size_t window) {
  int port = free_port_pair();
  Deployment deployment(loopback_endpoint(port), "");
  std::string self = own_executable();
  deployment.processes_.push_back(
      std::make_unique<ChildProcess>(self, std::vector<std::string>{"--serve-reference-broker", deployment.endpoint_,
                                                                    "--reference-window", std::to_string(window)}));
  deployment.processes_.push_back(
      std::make_unique<ChildProcess>(self, std::vector<std::string>{"--serve-reference-worker", deployment.endpoint_}));
  return deployment;
}

Deployment Deployment::start_zerotask(const std::string& bin_dir, bool with_node, const BrokerSetup& setup) {
  int port = free_port_pair();
  Deployment deployment(loopback_endpoint(port), loopback_endpoint(port + 1));
  std::vector<std::string> args = {"--endpoint", deployment.endpoint_, "--events", deployment.event_endpoint_,
                                   "--store",    setup.store};
  if (setup.store != "memory") args.insert(args.end(), {"--sync", setup.sync});
  if (setup.max_queued > 0) args.insert(args.end(), {"--max-queued", std::to_string(setup.max_queued)});
  args.insert(args.end(), {"--log-level", "warn"});
  deployment.processes_.push_back(std::make_unique<ChildProcess>(bin_dir + "/broker", args));
  if (with_node) {
    deployment.processes_.push_back(std::make_unique<ChildProcess>(
        bin_dir + "/node", std::vector<std::string>{"--broker", deployment.endpoint_, "--threads",
                                                    std::to_string(kNodeThreads), "--log-level", "warn"}));
  }
  return deployment;
}

std::optional<pid_t> Deployment::broker_pid() const {
  if (processes_.empty()) return std::nullopt;
  return processes_.front()->pid();
}

void Deployment::require_running() {
  for (auto& process : processes_) {
    if (!process->running()) {
      throw std::runtime_error(process->program() + " (pid " + std::to_string(process->pid()) + ") ended with " +
                               process->end_description());
    }
  }
}

void Deployment::stop(std::chrono::milliseconds grace) {
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
    ChildProcess& process = **it;
    bool ended = process.stop(grace);
    if (!ended || !process.exited_cleanly()) {
      throw std::runtime_error(
          process.program() + " (pid " + std::to_string(process.pid()) + ") " +
          (ended ? "ended with " + process.end_description() + " after SIGTERM"
                 : "did not end within " + std::to_string(grace.count()) + " ms of SIGTERM and was killed"));
    }
  }
}

void Deployment::wait_reference_ready(RpcConnection& connection) {
  auto deadline = Clock::now() + kReadyTimeout;
  while (Clock::now() < deadline) {
    require_running();
    json response = connection.request("broker.ping", nullptr, kProbeTimeout);
    if (!response.is_null() && response.contains("result") && response["result"].value("workers", 0) > 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("the reference broker at " + endpoint_ + " had no worker within " +
                           std::to_string(kReadyTimeout.count() / 1000) + " s");
}

void Deployment::wait_zerotask_ready(RpcConnection& connection, bool need_node) {
  auto deadline = Clock::now() + kReadyTimeout;
  bool pinged = false;
  json nodes = json::array();
  while (Clock::now() < deadline) {
    require_running();
    if (!pinged) {
      pinged = !connection.request("broker.ping", nullptr, kProbeTimeout).is_null();
      if (pinged && !need_node) return;
      continue;
    }
    nodes = connection.call("broker.nodes", nullptr, kReadyTimeout).value("nodes", json::array());
    node_slots_ = 0;
    for (const auto& node : nodes) {
      if (serves_noop(node)) node_slots_ += node.value("slots", std::size_t{0});
    }
    if (node_slots_ > 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string waited = std::to_string(kReadyTimeout.count() / 1000) + " s";
  if (!pinged) throw std::runtime_error("the broker at " + endpoint_ + " did not answer broker.ping within " + waited);
  if (nodes.empty()) throw std::runtime_error("no node connected to the broker at " + endpoint_ + " within " + waited);
  throw std::runtime_error("no node connected to " + endpoint_ + " serves " + std::string(kNoopFunction) +
                           " with at least one slot (broker.nodes: " + rpc::to_text(nodes) + ")");
}

}  // namespace zerotask::bench

#include "system_fixture.hpp"

#include <algorithm>
#include <stdexcept>

#include <doctest/doctest.h>

namespace zerotask::testing {

SystemFixture::SystemFixture() : endpoint(free_tcp_endpoint()) {}

void SystemFixture::start_broker(const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {"--endpoint", endpoint, "--log-level", "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  auto defaults = [&](const std::string& option, const std::string& value) {
    if (std::find(args.begin(), args.end(), option) == args.end()) args.insert(args.end(), {option, value});
  };
  defaults("--heartbeat-ms", "200");
  defaults("--store", "memory");
  if (broker_log.empty()) {
    broker = std::make_unique<ChildProcess>(bin_dir() + "/broker", args);
  } else {
    args.insert(args.begin(), {"-c", "exec \"$0\" \"$@\" 2>>'" + broker_log + "'", bin_dir() + "/broker"});
    broker = std::make_unique<ChildProcess>("/bin/sh", args);
  }
  peer = std::make_unique<RawPeer>(context, endpoint, zmq::socket_type::dealer, peer_curve);
  bool up = wait_until([&] {
    try {
      return peer->call("broker.ping", nullptr, std::chrono::milliseconds(200)).contains("result");
    } catch (const std::exception&) {
      return false;
    }
  });
  if (!up) throw std::runtime_error("the broker did not answer");
}

ChildProcess& SystemFixture::start_node(const std::string& name, int threads,
                                        const std::vector<std::string>& extra_args) {
  int before = node_count();
  std::vector<std::string> args = {"--broker", endpoint,         "--threads", std::to_string(threads), "--name",
                                   name,       "--heartbeat-ms", "200",       "--log-level",           "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  nodes.push_back(std::make_unique<ChildProcess>(bin_dir() + "/node", args));
  if (!wait_until([&] { return node_count() > before; })) throw std::runtime_error("node " + name + " never joined");
  return *nodes.back();
}

int SystemFixture::node_count() {
  try {
    return static_cast<int>(peer->call("broker.nodes", nullptr, std::chrono::seconds(2))["result"]["nodes"].size());
  } catch (const std::exception&) {
    return -1;
  }
}

int SystemFixture::task_count(const std::string& function) {
  try {
    nlohmann::json reply = peer->call("task.list", {{"function", function}, {"limit", 1000}}, std::chrono::seconds(10));
    return reply["result"].value("total", -1);
  } catch (const std::exception&) {
    return -1;
  }
}

CommandResult SystemFixture::zt(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  args.insert(args.begin() + (args.empty() ? 0 : 1), {"--broker", endpoint});
  return run_command(bin_dir() + "/zt", args, timeout);
}

nlohmann::json SystemFixture::result_of(const std::string& method, const nlohmann::json& params) {
  nlohmann::json reply = peer->call(method, params, std::chrono::seconds(10));
  INFO(reply.dump());
  REQUIRE(reply.contains("result"));
  return reply["result"];
}

nlohmann::json SystemFixture::wait_for(const std::string& id) {
  return result_of("task.wait", {{"id", id}, {"timeout_ms", 10000}});
}

}  // namespace zerotask::testing

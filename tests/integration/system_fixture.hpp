// SystemFixture: a broker and nodes running as real processes on free ports, for
// the integration tests. Everything it starts is killed and reaped when it goes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "raw_peer.hpp"
#include "test_support.hpp"

namespace zerotask::testing {

class SystemFixture {
 public:
  SystemFixture();

  // Starts (or restarts) the broker on the fixture's port; waits until it answers.
  void start_broker(const std::vector<std::string>& extra_args = {});
  // Starts a node with `threads` workers and waits until the broker lists it.
  ChildProcess& start_node(const std::string& name, int threads = 2, const std::vector<std::string>& extra_args = {});
  // The number of nodes the broker lists now.
  int node_count();
  // The number of `function` tasks the broker holds (task.list's total), -1 without an answer.
  int task_count(const std::string& function);
  // Runs zt with --broker set to this system.
  CommandResult zt(std::vector<std::string> args, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Calls `method` through `peer` (10 s at most) and returns its result; the test
  // fails if the answer is an error.
  nlohmann::json result_of(const std::string& method, const nlohmann::json& params);
  // task.wait for task `id`, 10 s at most: the task object.
  nlohmann::json wait_for(const std::string& id);

  std::string endpoint;
  // The credentials of `peer` for a broker that requires CURVE; set before start_broker().
  std::optional<CurveCredentials> peer_curve;
  // When set, the broker's log (stderr) is appended to this file.
  std::string broker_log;
  zmq::context_t context;
  std::unique_ptr<ChildProcess> broker;
  std::vector<std::unique_ptr<ChildProcess>> nodes;
  std::unique_ptr<RawPeer> peer;  // a DEALER for checks, reconnected on broker restart
};

}  // namespace zerotask::testing

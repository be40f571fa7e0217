// FaultCluster: a broker on an SQLite store and fault_node processes, run as real
// processes on a free port, for the fault-injection suite. Every process writes its
// output to its own log file in the cluster's temporary directory (log_tails()
// shows the ends of them when a check fails); everything the cluster starts is
// killed and reaped when it goes. One thread only (the test's); Submitters share
// its ZeroMQ context, which is thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ledger.hpp"
#include "raw_peer.hpp"
#include "test_support.hpp"

namespace zerotask::fault {

using nlohmann::json;
using zerotask::testing::ChildProcess;

// The broker's timers in this suite: a lease is 3 heartbeats.
inline constexpr std::chrono::milliseconds kHeartbeat{100};
inline constexpr std::chrono::milliseconds kLease = 3 * kHeartbeat;

class FaultCluster {
 public:
  FaultCluster();
  ~FaultCluster();
  FaultCluster(const FaultCluster&) = delete;
  FaultCluster& operator=(const FaultCluster&) = delete;

  // Starts the broker on the cluster's endpoint and store (`store` overrides the
  // path) with the suite's short timers plus `extra_args`, and waits until it
  // answers broker.ping; throws if it does not within `timeout`.
  void start_broker(const std::vector<std::string>& extra_args = {}, const std::string& store = "",
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends `signo` to the broker and reaps it; SIGKILL after `timeout`. Returns the
  // wait status.
  int stop_broker(int signo, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool broker_running();

  // Starts a fault_node named `name` (replacing the cluster's process of that name,
  // if any). Does not wait for it to join.
  ChildProcess& start_node(const std::string& name, int threads, const std::vector<std::string>& extra_args = {});
  ChildProcess& node(const std::string& name) { return *nodes_.at(name); }
  // Kills (SIGKILL) and reaps a node.
  void kill_node(const std::string& name);
  // True once broker.nodes lists every one of `names`.
  bool wait_for_nodes(const std::set<std::string>& names, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::set<std::string> listed_nodes();

  // A request on the cluster's own DEALER: the response object (with "result" or
  // "error"), or nullopt when none came in time (a broker restarting).
  std::optional<json> request(const std::string& method, const json& params = nullptr,
                              std::chrono::milliseconds timeout = std::chrono::seconds(3));
  // The "result" of a request; throws std::runtime_error with the error otherwise.
  json result(const std::string& method, const json& params = nullptr,
              std::chrono::milliseconds timeout = std::chrono::seconds(3));
  json stats() { return result("broker.stats"); }
  json task(const std::string& id) { return result("task.get", json{{"id", id}}); }
  // Submits one effect task ({"key", "ms"} plus the `extra` params) and returns the
  // response object (or nullopt).
  std::optional<json> submit_effect(const std::string& key, int ms = 0, json extra = json::object(),
                                    std::chrono::milliseconds timeout = std::chrono::seconds(3));

  // Waits until every key of `keys` has an effect in the ledger and the broker holds
  // no QUEUED, PENDING or RUNNING task. False after `timeout`.
  bool drain(const std::set<std::string>& keys, std::chrono::milliseconds timeout);
  Ledger ledger() const { return read_ledger(ledger_path); }

  // The last `lines` lines of every process log, for a failure message.
  std::string log_tails(std::size_t lines = 25) const;
  // What a test shows with INFO: log_tails(), unless quiet_logs is set (while it
  // reports a MESSAGE, which would print the logs too).
  std::string failure_context() const {
    return quiet_logs ? std::string("(logs shown on failures only)") : log_tails();
  }
  bool quiet_logs = false;
  // Lines of every log (or of one process's) containing `text`.
  std::vector<std::string> log_lines_with(const std::string& text, const std::string& process = "") const;

  zerotask::testing::TempDir dir;
  std::string endpoint;
  std::string store_path;
  std::string ledger_path;
  zmq::context_t context;
  std::unique_ptr<ChildProcess> broker;

 private:
  std::string log_file(const std::string& process) const;
  std::unique_ptr<ChildProcess> spawn(const std::string& process, const std::string& program,
                                      const std::vector<std::string>& args);

  std::map<std::string, std::unique_ptr<ChildProcess>> nodes_;
  std::unique_ptr<zerotask::testing::RawPeer> peer_;
  std::vector<std::string> log_names_;
};

}  // namespace zerotask::fault

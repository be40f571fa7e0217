// What zt-bench measures against: a request endpoint plus the processes it started
// to serve it (none for a broker given with --broker). The processes are stopped
// when the Deployment goes away. Used by one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "child_process.hpp"
#include "rpc_connection.hpp"

namespace zerotask::bench {

// Worker threads of each node zt-bench starts.
inline constexpr int kNodeThreads = 2;

// How a broker zt-bench starts keeps its tasks.
struct BrokerSetup {
  std::string store = "memory";  // --store: "memory" or the path of an SQLite file
  std::string sync = "full";     // --sync of an SQLite store: "full" or "normal"
  std::size_t max_queued = 0;    // --max-queued; 0: the broker's default
};

class Deployment {
 public:
  // A broker somebody else runs.
  Deployment(std::string endpoint, std::string event_endpoint);

  // The reference: zt-bench itself in its reference broker and worker modes; its
  // broker lets at most `window` requests be at the worker at a time (0: no limit).
  static Deployment start_reference(std::size_t window);
  // Our broker (by default with the memory store) and, when `with_node`, a node
  // with kNodeThreads worker threads, from the executables in `bin_dir`.
  static Deployment start_zerotask(const std::string& bin_dir, bool with_node, const BrokerSetup& setup = {});

  const std::string& endpoint() const { return endpoint_; }
  const std::string& event_endpoint() const { return event_endpoint_; }
  // The broker's process id when zt-bench started it.
  std::optional<pid_t> broker_pid() const;

  // Waits (10 s at most) until the reference broker answers broker.ping with a
  // worker attached.
  void wait_reference_ready(RpcConnection& connection);
  // Waits (10 s at most) until our broker answers broker.ping and, when
  // `need_node`, lists a node serving noop in broker.nodes.
  void wait_zerotask_ready(RpcConnection& connection, bool need_node);
  // The slots (worker threads) of the nodes serving noop when
  // wait_zerotask_ready() found them: how many tasks the broker hands out at a time.
  std::size_t node_slots() const { return node_slots_; }

  // Throws when a process zt-bench started has ended.
  void require_running();

  // Stops the processes zt-bench started, the broker last, each with SIGTERM and
  // up to `grace` to end by itself. Throws when one had to be killed or ended with
  // a status other than 0.
  void stop(std::chrono::milliseconds grace);

 private:
  std::string endpoint_;
  std::string event_endpoint_;
  std::size_t node_slots_ = 0;
  std::vector<std::unique_ptr<ChildProcess>> processes_;  // the broker first
};

}  // namespace zerotask::bench

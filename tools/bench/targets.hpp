// A system zt-bench measures (the reference, or our broker and node), driven
// through one raw connection, with what was measured on it added up over rounds.
// The two kinds differ only in how they tell that fire-and-forget notifications
// have all been handled. Used by one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "deployment.hpp"
#include "rpc_connection.hpp"

namespace zerotask::bench {

class Target {
 public:
  // `deployment` must be ready (see Deployment::wait_*_ready).
  Target(std::string name, Deployment deployment, RpcConnection connection);
  virtual ~Target() = default;
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  const std::string& name() const { return name_; }
  Deployment& deployment() { return deployment_; }

  // Untimed: `pipelined` calls under `window`, then `sequential` calls one by one.
  void warm_up(std::size_t pipelined, std::size_t window, std::size_t sequential);

  // Each round adds its count and time (or round trips) to the totals below.
  void pipelined_round(std::size_t count, std::size_t window);
  void fire_and_forget_round(std::size_t count);
  void sequential_round(std::size_t count);

  double throughput_tps() const;
  double fire_and_forget_tps() const;
  const std::vector<std::chrono::nanoseconds>& round_trips() const { return round_trips_; }

 protected:
  RpcConnection& connection() { return connection_; }
  // Called before `count` notifications are sent; the returned function returns
  // once they have all been handled.
  virtual std::function<void()> completion_of(std::size_t count) = 0;

 private:
  std::string name_;
  Deployment deployment_;
  RpcConnection connection_;  // declared after deployment_: closed before its processes stop
  std::size_t pipelined_count_ = 0;
  std::chrono::nanoseconds pipelined_time_{0};
  std::size_t fire_and_forget_count_ = 0;
  std::chrono::nanoseconds fire_and_forget_time_{0};
  std::vector<std::chrono::nanoseconds> round_trips_;
};

// The reference handles messages in order on one thread, so the answer to a call
// sent after the notifications means they have all been handled.
class ReferenceTarget : public Target {
 public:
  using Target::Target;

 protected:
  std::function<void()> completion_of(std::size_t count) override;
};

// Our broker: broker.stats is polled until its SUCCEEDED count has grown by the
// number of notifications sent.
class ZerotaskTarget : public Target {
 public:
  using Target::Target;

 protected:
  std::function<void()> completion_of(std::size_t count) override;
};

}  // namespace zerotask::bench

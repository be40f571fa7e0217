// FunctionLimits: limits on a function that the broker enforces across all nodes
// (limits.set): a rate, as a token bucket (`rate_per_s` tokens a second, at most
// `burst` saved up), and a concurrency (at most that many of its tasks RUNNING at
// once). A task held back by them stays QUEUED in the broker. Stored as settings
// "limit/<function>", so they survive restarts. Loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

#include "node_registry.hpp"
#include "store/task_store.hpp"

namespace zerotask::broker {

class FunctionLimits {
 public:
  // Loads the stored limits; every bucket starts full.
  FunctionLimits(TaskStore& store, SteadyTime now);

  // limits.set, limits.remove and limits.list (docs/PROTOCOL.md); throw RpcError.
  // set and remove answer the function's limits object.
  json set(const json& params, SteadyTime now);
  json remove(const json& params);
  json list() const;

  bool has_limits(const std::string& function) const { return limits_.contains(function); }
  // Why a task of `function` may not start now, with `running` of its tasks
  // RUNNING; empty when it may.
  std::string held_reason(const std::string& function, std::size_t running, SteadyTime now);
  // A task of `function` starts: it takes a token.
  void started(const std::string& function);
  // When `function`, held by its rate, has its next token.
  std::optional<SteadyTime> next_token(const std::string& function, SteadyTime now) const;

 private:
  struct Limit {
    double rate_per_s = 0;  // 0: no rate limit
    double burst = 1;
    std::size_t concurrency = 0;  // 0: no concurrency limit
    double tokens = 0;
    SteadyTime refilled;
  };

  static Limit read(const json& params, SteadyTime now);
  static json to_json(const std::string& function, const Limit& limit);

  TaskStore& store_;
  std::unordered_map<std::string, Limit> limits_;
};

}  // namespace zerotask::broker

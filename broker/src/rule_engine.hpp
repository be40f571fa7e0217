// RuleEngine: the rules at work in the broker. Tasks that succeed during a loop
// turn are collected, and apply() makes the rules' tasks for them in the same turn,
// before its commit; event.emit makes them at once. Made tasks are unique tasks, so
// a rule firing again while its task waits makes nothing new. Loop thread only.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rules.hpp"
#include "scheduler.hpp"

namespace zerotask::broker {

class RuleEngine {
 public:
  RuleEngine(Rules rules, Scheduler& scheduler);
  RuleEngine(const RuleEngine&) = delete;
  RuleEngine& operator=(const RuleEngine&) = delete;

  // Makes the tasks the rules ask for, for the tasks that succeeded since the last call.
  void apply();
  // event.emit: {"event": "...", "data": ...} -> {"tasks": [ids]}; the tasks count
  // as the submitter's (its quota). Throws RpcError.
  json emit(const json& params, const Submitter& submitter = {});

 private:
  Rules rules_;
  Scheduler& scheduler_;
  std::vector<std::pair<std::string, json>> succeeded_;  // function, result
};

}  // namespace zerotask::broker

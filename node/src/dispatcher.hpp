// Dispatcher: the registry of a node's functions (name -> TaskFunction) and the one
// place that turns a call into an Outcome: a thrown exception becomes a task_failed
// error carrying what() and the exception's demangled type, a missing function an
// unknown_function error.
//
// Filled by one thread before the node runs, then only read: find(), names() and
// call_function() are safe from any number of threads once registration is over.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "messages.hpp"
#include "zerotask/node.hpp"

namespace zerotask::node_impl {

class Dispatcher {
 public:
  // Replaces an earlier function of the same name. Throws std::invalid_argument for
  // a name outside 1 to 128 bytes or an empty function.
  void add(std::string name, TaskFunction function);
  // nullptr when no function has that name. The pointer stays valid while the
  // Dispatcher lives and no function is added.
  const TaskFunction* find(std::string_view name) const;
  // Every name, sorted.
  std::vector<std::string> names() const;
  bool empty() const { return functions_.empty(); }

 private:
  std::map<std::string, TaskFunction, std::less<>> functions_;
};

// Runs `function` and catches whatever it throws.
Outcome call_function(const TaskFunction& function, const json& params, TaskContext& context);

// The error a node reports for a task whose function it does not have.
rpc::Error unknown_function(std::string_view name);

}  // namespace zerotask::node_impl

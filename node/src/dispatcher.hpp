// Dispatcher: the registry of a node's functions (name -> TaskFunction and its
// FunctionOptions) and the one place that turns a call into an Outcome: a thrown
// exception becomes a task_failed error carrying what() and the exception's
// demangled type, a missing function an unknown_function error.
//
// Filled by one thread before the node runs, then only read: find(), functions() and
// call_function() are safe from any number of threads once registration is over.
#pragma once

#include <chrono>
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
  // a name outside 1 to 128 bytes, an empty function, or options out of the
  // protocol's ranges.
  void add(std::string name, TaskFunction function, FunctionOptions options = {});
  // nullptr when no function has that name. The pointer stays valid while the
  // Dispatcher lives and no function is added.
  const TaskFunction* find(std::string_view name) const;
  // Every function's name and options, sorted by name: what node.hello lists.
  std::vector<FunctionEntry> functions() const;
  bool empty() const { return functions_.empty(); }

 private:
  struct Registered {
    TaskFunction function;
    FunctionOptions options;
  };
  std::map<std::string, Registered, std::less<>> functions_;
};

// Runs `function` and catches whatever it throws.
Outcome call_function(const TaskFunction& function, const json& params, TaskContext& context);

// The error a node reports for a task whose function it does not have.
rpc::Error unknown_function(std::string_view name);
// The error a node reports for a task whose function returned past its timeout.
rpc::Error timed_out(std::chrono::milliseconds timeout);
// The error a node reports for a task the broker cancelled (node.cancel).
rpc::Error cancelled();

}  // namespace zerotask::node_impl

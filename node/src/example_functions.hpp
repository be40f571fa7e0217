// The example functions the `node` executable serves (add, subtract, multiply, sum,
// echo, sleep, fail, count, noop), with the one-line usage its -h prints and the
// defaults they are registered with.
//
// Each is an ordinary TaskFunction: bad params throw std::invalid_argument with a
// message naming what was expected, which the node reports as task_failed. The
// functions keep no state and are safe from any number of threads.
#pragma once

#include <string_view>
#include <vector>

#include "zerotask/node.hpp"

namespace zerotask::examples {

struct ExampleFunction {
  std::string_view name;
  std::string_view usage;  // params -> result
  TaskFunction function;
  FunctionOptions options;
};

// Sorted by name.
const std::vector<ExampleFunction>& example_functions();

void register_example_functions(Node& node);

}  // namespace zerotask::examples

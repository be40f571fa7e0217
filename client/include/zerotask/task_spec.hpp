// zerotask::TaskSpec: one call to make, as a step of Client::chain, a member of
// Client::group or a part of Client::chord. A value; usable from any thread.
//
//   std::vector<zerotask::TaskSpec> steps{{"add", {1, 2}}, {"multiply", {3}}};
#pragma once

#include <string>

#include "zerotask/json_rpc.hpp"
#include "zerotask/submit_options.hpp"

namespace zerotask {

struct TaskSpec {
  std::string function;
  // Its params: an array (or an object, for a task that gets no results passed).
  // Beware that {"a", 1} is an array but {{"a", 1}} an object: write
  // json::array({...}) when in doubt.
  json params = json::array();
  // Initialized here so that {"add", {1, 2}} may leave it out.
  SubmitOptions options = {};
};

}  // namespace zerotask

// JSON nested to a chosen depth, for the tests of depth limits.
#pragma once

#include <cstddef>

#include <nlohmann/json.hpp>

namespace zerotask::testing {

// An array nested `depth` levels deep: depth 1 is [0], depth 2 [[0]].
inline nlohmann::json nested_array(std::size_t depth) {
  nlohmann::json value = 0;
  for (std::size_t i = 0; i < depth; ++i) value = nlohmann::json::array({std::move(value)});
  return value;
}

}  // namespace zerotask::testing

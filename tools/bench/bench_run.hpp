// One zt-bench run: the reference, then our broker and node, then the workflow
// figure on a broker and node of its own, then the memory figure on a broker with
// no node, each against processes it starts and stops itself unless --broker
// names a running broker. Progress goes to stderr.
#pragma once

#include "figures.hpp"
#include "options.hpp"

namespace zerotask::bench {

// Throws std::runtime_error (or the client library's errors) when a measurement
// cannot be made; every process it started is stopped either way.
Figures run_bench(const BenchOptions& options);

}  // namespace zerotask::bench

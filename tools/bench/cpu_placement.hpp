// zt-bench --pin: the processes zt-bench measures (brokers, nodes, the reference's
// broker and worker) on one CPU and zt-bench's own threads on another, so that a
// figure does not depend on where the kernel happens to place each thread.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "zerotask/cpu_affinity.hpp"

namespace zerotask::bench {

struct CpuPlacement {
  int servers = 0;  // every process zt-bench starts
  int client = 0;   // zt-bench's own threads
};

// The first two CPUs the calling thread may run on. Throws std::runtime_error when
// it may run on fewer than two.
inline CpuPlacement pick_cpu_placement() {
  std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2) {
    throw std::runtime_error("--pin needs two CPUs (the measured processes on one, zt-bench on the other); zt-bench "
                             "may run on " +
                             std::to_string(cpus.size()));
  }
  return CpuPlacement{cpus[0], cpus[1]};
}

}  // namespace zerotask::bench

// zt-bench --pin: the processes zt-bench measures (brokers, nodes, the reference's
// broker and worker) on one CPU and zt-bench's own threads on another, so that a
// figure does not depend on where the kernel happens to place each thread.
#pragma once

namespace zerotask::bench {

struct CpuPlacement {
  int servers = 0;  // every process zt-bench starts
  int client = 0;   // zt-bench's own threads
};

// The first two CPUs the calling thread may run on. Throws std::runtime_error when
// it may run on fewer than two.
CpuPlacement pick_cpu_placement();

// Pins the calling thread to `cpu`; the threads and processes it starts afterwards
// inherit that. Throws std::runtime_error when the kernel refuses.
void pin_calling_thread(int cpu);

}  // namespace zerotask::bench

// The CPUs a thread may run on (its affinity mask, as `taskset` or a container's
// cpuset sets it), and pinning a thread to one of them.
#pragma once

#include <sched.h>

#include <vector>

namespace zerotask {

// The CPUs the calling thread may run on, in increasing order. Throws
// std::system_error when the kernel does not say.
std::vector<int> allowed_cpus();

// Pins the calling thread to `cpu`; the threads and processes it starts afterwards
// inherit that. Throws std::system_error when the kernel refuses.
void pin_calling_thread(int cpu);

// Pins the calling thread to one CPU for its lifetime, then gives it back the CPUs
// it had: what a process spawned meanwhile inherits is that one CPU.
class ScopedCpuPin {
 public:
  explicit ScopedCpuPin(int cpu);
  ~ScopedCpuPin();
  ScopedCpuPin(const ScopedCpuPin&) = delete;
  ScopedCpuPin& operator=(const ScopedCpuPin&) = delete;

 private:
  cpu_set_t before_;
};

}  // namespace zerotask

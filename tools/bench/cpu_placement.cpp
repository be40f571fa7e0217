#include "cpu_placement.hpp"

#include <sched.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace zerotask::bench {

CpuPlacement pick_cpu_placement() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    throw std::runtime_error(std::string("--pin: cannot read the CPUs zt-bench may use: ") + std::strerror(errno));
  }
  int found[2] = {-1, -1};
  int count = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE && count < 2; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) found[count++] = cpu;
  }
  if (count < 2) {
    throw std::runtime_error("--pin needs two CPUs (the measured processes on one, zt-bench on the other); zt-bench "
                             "may run on " +
                             std::to_string(count));
  }
  return CpuPlacement{found[0], found[1]};
}

void pin_calling_thread(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof(one), &one) != 0) {
    throw std::runtime_error("cannot pin to CPU " + std::to_string(cpu) + ": " + std::strerror(errno));
  }
}

}  // namespace zerotask::bench

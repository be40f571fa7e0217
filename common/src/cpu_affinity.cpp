#include "zerotask/cpu_affinity.hpp"

#include <cerrno>
#include <string>
#include <system_error>

namespace zerotask {
namespace {

cpu_set_t calling_thread_cpus() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot read the calling thread's CPUs");
  }
  return cpus;
}

}  // namespace

std::vector<int> allowed_cpus() {
  cpu_set_t cpus = calling_thread_cpus();
  std::vector<int> list;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &cpus)) list.push_back(cpu);
  }
  return list;
}

void pin_calling_thread(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof(one), &one) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot pin to CPU " + std::to_string(cpu));
  }
}

ScopedCpuPin::ScopedCpuPin(int cpu) : before_(calling_thread_cpus()) {
  pin_calling_thread(cpu);
}

ScopedCpuPin::~ScopedCpuPin() {
  // Giving back a mask the thread had a moment ago fails only if all its CPUs went
  // offline meanwhile; the thread then stays where it is, which is all a
  // destructor could do anyway.
  sched_setaffinity(0, sizeof(before_), &before_);
}

}  // namespace zerotask

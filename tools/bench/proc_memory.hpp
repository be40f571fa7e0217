// Memory of another process, read from Linux's /proc/<pid>/status.
#pragma once

#include <cstdint>

#include <sys/types.h>

namespace zerotask::bench {

struct ProcessMemory {
  std::int64_t resident_bytes = 0;  // VmRSS: resident now
  std::int64_t peak_bytes = 0;      // VmHWM: highest resident since start or the last reset
};

// Throws std::runtime_error when the process or the fields cannot be read.
ProcessMemory read_process_memory(pid_t pid);

// Sets the process's peak (VmHWM) back to its current resident size by writing
// "5" to /proc/<pid>/clear_refs. False when that is not permitted.
bool reset_peak_memory(pid_t pid);

}  // namespace zerotask::bench

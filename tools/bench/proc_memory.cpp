#include "proc_memory.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

namespace zerotask::bench {
namespace {

std::string proc_path(pid_t pid, const char* file) {
  return "/proc/" + std::to_string(pid) + "/" + file;
}

}  // namespace

ProcessMemory read_process_memory(pid_t pid) {
  std::ifstream status(proc_path(pid, "status"));
  if (!status) throw std::runtime_error("cannot read " + proc_path(pid, "status"));
  ProcessMemory memory;
  bool have_rss = false;
  bool have_hwm = false;
  std::string line;
  while (std::getline(status, line)) {
    // Lines look like "VmRSS:\t   12345 kB".
    auto read_kib = [&line](const std::string& key, std::int64_t& out) {
      if (!line.starts_with(key)) return false;
      out = std::stoll(line.substr(key.size())) * 1024;
      return true;
    };
    have_rss = read_kib("VmRSS:", memory.resident_bytes) || have_rss;
    have_hwm = read_kib("VmHWM:", memory.peak_bytes) || have_hwm;
  }
  if (!have_rss || !have_hwm) throw std::runtime_error(proc_path(pid, "status") + " has no VmRSS/VmHWM");
  return memory;
}

bool reset_peak_memory(pid_t pid) {
  std::ofstream clear_refs(proc_path(pid, "clear_refs"));
  clear_refs << "5";
  clear_refs.flush();
  return static_cast<bool>(clear_refs);
}

}  // namespace zerotask::bench

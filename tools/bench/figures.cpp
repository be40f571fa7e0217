#include "figures.hpp"

#include <cstdio>

#include "zerotask/version.hpp"

namespace zerotask::bench {
namespace {

std::optional<double> ratio(const std::optional<double>& value, const std::optional<double>& reference) {
  if (!value || !reference || *reference <= 0) return std::nullopt;
  return *value / *reference;
}

std::optional<double> bytes_per_task(const Figures& figures) {
  if (!figures.memory) return std::nullopt;
  return figures.memory->bytes_per_task_beyond_payload();
}

// Whether a target is met; empty when a figure it needs is missing.
std::optional<bool> throughput_met(const Figures& f) {
  auto r = ratio(f.throughput_tps, f.ref_throughput_tps);
  if (!r) return std::nullopt;
  return *r >= kThroughputRatioTarget;
}

std::optional<bool> call_p50_met(const Figures& f) {
  auto r = ratio(f.call_p50_us, f.ref_p50_us);
  if (!r) return std::nullopt;
  return *r <= kCallP50RatioTarget;
}

std::optional<bool> memory_met(const Figures& f) {
  auto bytes = bytes_per_task(f);
  if (!bytes) return std::nullopt;
  return *bytes <= kBytesPerQueuedTaskTarget;
}

std::string format(const std::optional<double>& value, int decimals, const char* suffix = "") {
  if (!value) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f%s", decimals, *value, suffix);
  return text;
}

json or_null(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}
json or_null(const std::optional<bool>& value) {
  return value ? json(*value) : json(nullptr);
}

struct Row {
  const char* figure;
  std::optional<double> value;
  std::optional<double> reference;
  int decimals;
  std::string target;
  std::optional<bool> met;
};

// One line of the table, without trailing blanks when the last columns are empty.
void print_row(std::ostream& out, const std::string& figure, const std::string& value, const std::string& reference,
               const std::string& ratio, const std::string& target, const std::string& result) {
  char line[160];
  std::snprintf(line, sizeof line, "%-28s %12s %12s %8s %10s  %s", figure.c_str(), value.c_str(), reference.c_str(),
                ratio.c_str(), target.c_str(), result.c_str());
  std::string text = line;
  text.erase(text.find_last_not_of(' ') + 1);
  out << text << "\n";
}

}  // namespace

void print_table(std::ostream& out, const Figures& f) {
  out << "zt-bench " << version() << ": " << f.system << "; " << f.nproc << " cores\n"
      << f.tasks << " tasks (window " << f.window << "), " << f.calls << " sequential calls, " << f.queued
      << " queued tasks\n\n";
  char target_throughput[32];
  char target_p50[32];
  char target_memory[32];
  std::snprintf(target_throughput, sizeof target_throughput, ">= %.2fx", kThroughputRatioTarget);
  std::snprintf(target_p50, sizeof target_p50, "<= %.2fx", kCallP50RatioTarget);
  std::snprintf(target_memory, sizeof target_memory, "<= %.0f", kBytesPerQueuedTaskTarget);
  const Row rows[] = {
      {"throughput (tasks/s)", f.throughput_tps, f.ref_throughput_tps, 0, target_throughput, throughput_met(f)},
      {"fire-and-forget (tasks/s)", f.fire_and_forget_tps, f.ref_fire_and_forget_tps, 0, "", std::nullopt},
      {"call p50 (us)", f.call_p50_us, f.ref_p50_us, 1, target_p50, call_p50_met(f)},
      {"call p99 (us)", f.call_p99_us, f.ref_p99_us, 1, "", std::nullopt},
      {"client call p50 (us)", f.client_call_p50_us, f.ref_p50_us, 1, "", std::nullopt},
      {"memory per queued task (B)", bytes_per_task(f), std::nullopt, 1, target_memory, memory_met(f)},
  };
  print_row(out, "figure", "value", "reference", "ratio", "target", "result");
  for (const auto& row : rows) {
    std::string result = row.target.empty() ? "" : (row.met ? (*row.met ? "pass" : "FAIL") : "n/a");
    print_row(out, row.figure, format(row.value, row.decimals), format(row.reference, row.decimals),
              format(ratio(row.value, row.reference), 2, "x"), row.target, result);
  }
  if (f.memory) {
    out << "\nmemory: broker resident " << f.memory->resident_before / 1024 << " KiB before, peak "
        << f.memory->peak_after / 1024 << " KiB with " << f.memory->tasks << " tasks queued; payload "
        << f.memory->payload_bytes << " B per task\n";
  }
  for (const auto& note : f.notes) out << "note: " << note << "\n";
}

json to_json(const Figures& f) {
  json out = {
      {"version", std::string(version())},
      {"system", f.system},
      {"nproc", f.nproc},
      {"tasks", f.tasks},
      {"calls", f.calls},
      {"queued", f.queued},
      {"window", f.window},
      {"throughput_tps", or_null(f.throughput_tps)},
      {"fire_and_forget_tps", or_null(f.fire_and_forget_tps)},
      {"call_p50_us", or_null(f.call_p50_us)},
      {"call_p99_us", or_null(f.call_p99_us)},
      {"client_call_p50_us", or_null(f.client_call_p50_us)},
      {"rss_per_queued_task_bytes", or_null(bytes_per_task(f))},
      {"ref_throughput_tps", or_null(f.ref_throughput_tps)},
      {"ref_fire_and_forget_tps", or_null(f.ref_fire_and_forget_tps)},
      {"ref_p50_us", or_null(f.ref_p50_us)},
      {"ref_p99_us", or_null(f.ref_p99_us)},
      {"throughput_ratio", or_null(ratio(f.throughput_tps, f.ref_throughput_tps))},
      {"fire_and_forget_ratio", or_null(ratio(f.fire_and_forget_tps, f.ref_fire_and_forget_tps))},
      {"call_p50_ratio", or_null(ratio(f.call_p50_us, f.ref_p50_us))},
      {"call_p99_ratio", or_null(ratio(f.call_p99_us, f.ref_p99_us))},
      {"client_call_p50_ratio", or_null(ratio(f.client_call_p50_us, f.ref_p50_us))},
      {"targets_met",
       {{"throughput", or_null(throughput_met(f))},
        {"call_p50", or_null(call_p50_met(f))},
        {"rss_per_queued_task", or_null(memory_met(f))}}},
      {"notes", f.notes},
  };
  if (f.memory) {
    out["memory"] = {{"queued_tasks", f.memory->tasks},
                     {"resident_before_bytes", f.memory->resident_before},
                     {"peak_bytes", f.memory->peak_after},
                     {"payload_bytes_per_task", f.memory->payload_bytes},
                     {"peak_reset", f.memory->peak_reset}};
  }
  return out;
}

}  // namespace zerotask::bench

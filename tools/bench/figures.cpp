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

std::optional<double> difference(const std::optional<double>& value, const std::optional<double>& base) {
  if (!value || !base) return std::nullopt;
  return *value - *base;
}

std::optional<double> recover_seconds(const Figures& f) {
  if (!f.recovery) return std::nullopt;
  return f.recovery->recover_seconds;
}

std::optional<bool> throughput_full_met(const Figures& f) {
  auto r = ratio(f.throughput_full_tps, f.throughput_tps);
  if (!r) return std::nullopt;
  return *r >= kThroughputFullRatioTarget;
}

std::optional<bool> throughput_normal_met(const Figures& f) {
  auto r = ratio(f.throughput_normal_tps, f.throughput_tps);
  if (!r) return std::nullopt;
  return *r >= kThroughputNormalRatioTarget;
}

std::optional<bool> call_p50_full_met(const Figures& f) {
  auto extra = difference(f.call_p50_full_us, f.call_p50_us);
  if (!extra) return std::nullopt;
  return *extra <= kCallP50FullExtraTargetUs;
}

// The target is for a given number of tasks; another count is not judged.
std::optional<bool> recover_met(const Figures& f) {
  if (!f.recovery || f.recovery->tasks != kRecoverTargetTasks) return std::nullopt;
  return f.recovery->recover_seconds < kRecoverSecondsTarget;
}

// The workflow figure's times in seconds, each workflow's and its plain tasks';
// empty when that part was not measured.
struct WorkflowTimes {
  std::optional<double> seconds;
  std::optional<double> plain_seconds;
};

WorkflowTimes chain_times(const Figures& f) {
  if (!f.workflows || f.workflows->chains == 0) return {};
  return {f.workflows->chains_seconds, f.workflows->chains_plain_seconds};
}

WorkflowTimes group_times(const Figures& f) {
  if (!f.workflows || f.workflows->groups == 0) return {};
  return {f.workflows->groups_seconds, f.workflows->groups_plain_seconds};
}

WorkflowTimes chord_times(const Figures& f) {
  if (!f.workflows || f.workflows->groups == 0) return {};
  return {f.workflows->chords_seconds, f.workflows->chords_plain_seconds};
}

std::optional<double> workflow_ratio(const WorkflowTimes& times) {
  return ratio(times.seconds, times.plain_seconds);
}

std::optional<bool> workflow_met(const WorkflowTimes& times) {
  auto r = workflow_ratio(times);
  if (!r) return std::nullopt;
  return *r <= kWorkflowRatioTarget;
}

std::string format(const std::optional<double>& value, int decimals, const char* suffix = "") {
  if (!value) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f%s", decimals, *value, suffix);
  return text;
}

std::string format_signed(const std::optional<double>& value, int decimals) {
  if (!value) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%+.*f", decimals, *value);
  return text;
}

std::string result_of(const std::string& target, const std::optional<bool>& met) {
  if (target.empty()) return "";
  return met ? (*met ? "pass" : "FAIL") : "n/a";
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
  std::snprintf(line, sizeof line, "%-28s %12s %12s %9s %10s  %s", figure.c_str(), value.c_str(), reference.c_str(),
                ratio.c_str(), target.c_str(), result.c_str());
  std::string text = line;
  text.erase(text.find_last_not_of(' ') + 1);
  out << text << "\n";
}

// The durable store's figures beside the memory store's (the "value" rows above):
// throughput as a ratio, call p50 as the microseconds it adds.
void print_durable_rows(std::ostream& out, const Figures& f) {
  out << "\ndurable store (SQLite) in " << f.store_directory << " (" << f.store_filesystem
      << "), beside the memory store's figures above\n";
  char target_full[32];
  char target_normal[32];
  char target_extra[32];
  char target_recover[32];
  std::snprintf(target_full, sizeof target_full, ">= %.2fx", kThroughputFullRatioTarget);
  std::snprintf(target_normal, sizeof target_normal, ">= %.2fx", kThroughputNormalRatioTarget);
  std::snprintf(target_extra, sizeof target_extra, "<= %+.0f", kCallP50FullExtraTargetUs);
  std::snprintf(target_recover, sizeof target_recover, "< %.0f", kRecoverSecondsTarget);
  print_row(out, "figure", "value", "memory", "vs memory", "target", "result");
  print_row(out, "throughput full (tasks/s)", format(f.throughput_full_tps, 0), format(f.throughput_tps, 0),
            format(ratio(f.throughput_full_tps, f.throughput_tps), 2, "x"), target_full,
            result_of(target_full, throughput_full_met(f)));
  print_row(out, "throughput normal (tasks/s)", format(f.throughput_normal_tps, 0), format(f.throughput_tps, 0),
            format(ratio(f.throughput_normal_tps, f.throughput_tps), 2, "x"), target_normal,
            result_of(target_normal, throughput_normal_met(f)));
  print_row(out, "call p50 full (us)", format(f.call_p50_full_us, 1), format(f.call_p50_us, 1),
            format_signed(difference(f.call_p50_full_us, f.call_p50_us), 1), target_extra,
            result_of(target_extra, call_p50_full_met(f)));
  print_row(out, "call p50 normal (us)", format(f.call_p50_normal_us, 1), format(f.call_p50_us, 1),
            format_signed(difference(f.call_p50_normal_us, f.call_p50_us), 1), "", "");
  std::string recover_figure = "recover " + std::to_string(f.recover) + " tasks (s)";
  print_row(out, recover_figure, format(recover_seconds(f), 2), "-", "-", target_recover,
            result_of(target_recover, recover_met(f)));
  if (f.recovery) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "\nrecovery: %zu tasks queued in %.1f s (--sync normal), store %.1f MiB, broker stopped in %.2f s "
                  "after SIGTERM, restarted with --sync full\n",
                  f.recovery->tasks, f.recovery->fill_seconds,
                  static_cast<double>(f.recovery->store_bytes) / (1024.0 * 1024.0), f.recovery->stop_seconds);
    out << line;
  }
}

// Each workflow's time beside that of as many plain tasks.
void print_workflow_rows(std::ostream& out, const Figures& f) {
  const Workflows& w = *f.workflows;
  out << "\nworkflows on a broker with the memory store, beside as many tasks without dependencies (window " << f.window
      << " tasks)\n";
  char target[32];
  std::snprintf(target, sizeof target, "<= %.2fx", kWorkflowRatioTarget);
  print_row(out, "figure", "value", "plain", "ratio", "target", "result");
  struct WorkflowRow {
    std::string figure;
    WorkflowTimes times;
  };
  const WorkflowRow rows[] = {
      {std::to_string(w.chains) + " chains of 3 (s)", chain_times(f)},
      {std::to_string(w.groups) + " groups of " + std::to_string(w.group_size) + " (s)", group_times(f)},
      {std::to_string(w.groups) + " chords of " + std::to_string(w.group_size) + "+1 (s)", chord_times(f)},
  };
  for (const auto& row : rows) {
    if (!row.times.seconds) continue;
    print_row(out, row.figure, format(row.times.seconds, 3), format(row.times.plain_seconds, 3),
              format(workflow_ratio(row.times), 2, "x"), target, result_of(target, workflow_met(row.times)));
  }
}

}  // namespace

void print_table(std::ostream& out, const Figures& f) {
  out << "zt-bench " << version() << ": " << f.system << "; " << f.nproc << " cores\n"
      << f.tasks << " tasks (window " << f.window << ")";
  if (!f.store_directory.empty()) out << ", " << f.durable_tasks << " on each durable store";
  out << ", " << f.calls << " sequential calls, " << f.queued << " queued tasks";
  if (!f.store_directory.empty()) out << ", " << f.recover << " tasks recovered";
  out << "; " << f.settle_ms << " ms of quiet before each system's part of a round\n";
  if (f.pinned) {
    out << "pinned: the processes zt-bench started on CPU " << f.pinned->servers << ", zt-bench on CPU "
        << f.pinned->client << "\n";
  }
  if (f.ref_throughput_tps) {
    out << "reference: at most " << f.reference_window
        << " requests at its worker at a time, as many as the node has slots; the pipelined reference: all\n";
  }
  out << "\n";
  char target_throughput[32];
  char target_p50[32];
  char target_memory[32];
  std::snprintf(target_throughput, sizeof target_throughput, ">= %.2fx", kThroughputRatioTarget);
  std::snprintf(target_p50, sizeof target_p50, "<= %.2fx", kCallP50RatioTarget);
  std::snprintf(target_memory, sizeof target_memory, "<= %.0f", kBytesPerQueuedTaskTarget);
  const Row rows[] = {
      {"throughput (tasks/s)", f.throughput_tps, f.ref_throughput_tps, 0, target_throughput, throughput_met(f)},
      {"  vs pipelined reference", f.throughput_tps, f.ref_pipelined_throughput_tps, 0, "", std::nullopt},
      {"fire-and-forget (tasks/s)", f.fire_and_forget_tps, f.ref_fire_and_forget_tps, 0, "", std::nullopt},
      {"call p50 (us)", f.call_p50_us, f.ref_p50_us, 1, target_p50, call_p50_met(f)},
      {"call p99 (us)", f.call_p99_us, f.ref_p99_us, 1, "", std::nullopt},
      {"client call p50 (us)", f.client_call_p50_us, f.ref_p50_us, 1, "", std::nullopt},
      {"memory per queued task (B)", bytes_per_task(f), std::nullopt, 1, target_memory, memory_met(f)},
  };
  print_row(out, "figure", "value", "reference", "ratio", "target", "result");
  for (const auto& row : rows) {
    print_row(out, row.figure, format(row.value, row.decimals), format(row.reference, row.decimals),
              format(ratio(row.value, row.reference), 2, "x"), row.target, result_of(row.target, row.met));
  }
  if (f.memory) {
    out << "\nmemory: broker resident " << f.memory->resident_before / 1024 << " KiB before, peak "
        << f.memory->peak_after / 1024 << " KiB with " << f.memory->tasks << " tasks queued; payload "
        << f.memory->payload_bytes << " B per task\n";
  }
  if (!f.store_directory.empty()) print_durable_rows(out, f);
  if (f.workflows) print_workflow_rows(out, f);
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
      {"reference_window", f.reference_window},
      {"settle_ms", f.settle_ms},
      {"pinned", f.pinned ? json{{"servers_cpu", f.pinned->servers}, {"client_cpu", f.pinned->client}} : json(nullptr)},
      {"durable_tasks", f.durable_tasks},
      {"recover", f.recover},
      {"chains", f.workflows ? f.workflows->chains : 0},
      {"groups", f.workflows ? f.workflows->groups : 0},
      {"group_size", f.workflows ? f.workflows->group_size : 0},
      {"store_directory", f.store_directory.empty() ? json(nullptr) : json(f.store_directory)},
      {"store_filesystem", f.store_filesystem.empty() ? json(nullptr) : json(f.store_filesystem)},
      {"throughput_tps", or_null(f.throughput_tps)},
      {"fire_and_forget_tps", or_null(f.fire_and_forget_tps)},
      {"call_p50_us", or_null(f.call_p50_us)},
      {"call_p99_us", or_null(f.call_p99_us)},
      {"client_call_p50_us", or_null(f.client_call_p50_us)},
      {"rss_per_queued_task_bytes", or_null(bytes_per_task(f))},
      {"throughput_full_tps", or_null(f.throughput_full_tps)},
      {"throughput_normal_tps", or_null(f.throughput_normal_tps)},
      {"call_p50_full_us", or_null(f.call_p50_full_us)},
      {"call_p50_normal_us", or_null(f.call_p50_normal_us)},
      {"recover_seconds", or_null(recover_seconds(f))},
      {"ref_throughput_tps", or_null(f.ref_throughput_tps)},
      {"ref_fire_and_forget_tps", or_null(f.ref_fire_and_forget_tps)},
      {"ref_p50_us", or_null(f.ref_p50_us)},
      {"ref_p99_us", or_null(f.ref_p99_us)},
      {"ref_pipelined_throughput_tps", or_null(f.ref_pipelined_throughput_tps)},
      {"throughput_ratio", or_null(ratio(f.throughput_tps, f.ref_throughput_tps))},
      {"throughput_pipelined_ratio", or_null(ratio(f.throughput_tps, f.ref_pipelined_throughput_tps))},
      {"fire_and_forget_ratio", or_null(ratio(f.fire_and_forget_tps, f.ref_fire_and_forget_tps))},
      {"call_p50_ratio", or_null(ratio(f.call_p50_us, f.ref_p50_us))},
      {"call_p99_ratio", or_null(ratio(f.call_p99_us, f.ref_p99_us))},
      {"client_call_p50_ratio", or_null(ratio(f.client_call_p50_us, f.ref_p50_us))},
      {"throughput_full_ratio", or_null(ratio(f.throughput_full_tps, f.throughput_tps))},
      {"throughput_normal_ratio", or_null(ratio(f.throughput_normal_tps, f.throughput_tps))},
      {"call_p50_full_extra_us", or_null(difference(f.call_p50_full_us, f.call_p50_us))},
      {"call_p50_normal_extra_us", or_null(difference(f.call_p50_normal_us, f.call_p50_us))},
      {"workflow_chains_s", or_null(chain_times(f).seconds)},
      {"workflow_chain_plain_s", or_null(chain_times(f).plain_seconds)},
      {"workflow_chain_ratio", or_null(workflow_ratio(chain_times(f)))},
      {"workflow_groups_s", or_null(group_times(f).seconds)},
      {"workflow_group_plain_s", or_null(group_times(f).plain_seconds)},
      {"workflow_group_ratio", or_null(workflow_ratio(group_times(f)))},
      {"workflow_chords_s", or_null(chord_times(f).seconds)},
      {"workflow_chord_plain_s", or_null(chord_times(f).plain_seconds)},
      {"workflow_chord_ratio", or_null(workflow_ratio(chord_times(f)))},
      {"targets_met",
       {{"throughput", or_null(throughput_met(f))},
        {"call_p50", or_null(call_p50_met(f))},
        {"rss_per_queued_task", or_null(memory_met(f))},
        {"throughput_full", or_null(throughput_full_met(f))},
        {"throughput_normal", or_null(throughput_normal_met(f))},
        {"call_p50_full", or_null(call_p50_full_met(f))},
        {"recover", or_null(recover_met(f))},
        {"workflow_chains", or_null(workflow_met(chain_times(f)))},
        {"workflow_groups", or_null(workflow_met(group_times(f)))},
        {"workflow_chords", or_null(workflow_met(chord_times(f)))}}},
      {"notes", f.notes},
  };
  if (f.memory) {
    out["memory"] = {{"queued_tasks", f.memory->tasks},
                     {"resident_before_bytes", f.memory->resident_before},
                     {"peak_bytes", f.memory->peak_after},
                     {"payload_bytes_per_task", f.memory->payload_bytes},
                     {"peak_reset", f.memory->peak_reset}};
  }
  if (f.recovery) {
    out["recovery"] = {{"tasks", f.recovery->tasks},
                       {"seconds", f.recovery->recover_seconds},
                       {"fill_seconds", f.recovery->fill_seconds},
                       {"stop_seconds", f.recovery->stop_seconds},
                       {"store_bytes", f.recovery->store_bytes}};
  }
  return out;
}

}  // namespace zerotask::bench

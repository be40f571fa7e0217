#include "output.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "json_fields.hpp"
#include "zerotask/error_codes.hpp"

namespace zerotask::zt {
namespace {

constexpr std::size_t kProgressBarWidth = 20;

// "cron 0 3 * * *" or "every 200 ms".
std::string schedule_when(const json& schedule) {
  if (const json& cron = member(schedule, "cron"); cron.is_string()) return "cron " + cron.get<std::string>();
  if (const json& interval = member(schedule, "interval_ms"); interval.is_number()) {
    return "every " + rpc::to_text(interval) + " ms";
  }
  return "-";
}

// `echo ["tick"] queue=images priority=5`: the function, its params, then each
// other field of the task.submit params.
std::string schedule_task(const json& task) {
  std::string out = field(task, "function");
  if (const json& params = member(task, "params"); !params.is_null()) out += " " + rpc::to_text(params);
  if (!task.is_object()) return out;
  for (const auto& [key, value] : task.items()) {
    if (key != "function" && key != "params") out += " " + key + "=" + field(task, key.c_str());
  }
  return out;
}

// "rate 10/s, burst 10, concurrency 4", naming only the limits set.
std::string limits_summary(const json& limits) {
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (const json& rate = member(limits, "rate_per_s"); rate.is_number()) add("rate " + format_number(rate) + "/s");
  if (const json& burst = member(limits, "burst"); !burst.is_null()) add("burst " + field(limits, "burst"));
  if (const json& concurrency = member(limits, "concurrency"); !concurrency.is_null()) {
    add("concurrency " + field(limits, "concurrency"));
  }
  return out.empty() ? "none" : out;
}

// "[#########...........]": `done` of `total` in kProgressBarWidth marks.
std::string progress_bar(double done, double total) {
  const double width = kProgressBarWidth;
  auto filled = static_cast<std::size_t>(total > 0 ? std::clamp(done * width / total, 0.0, width) : 0.0);
  return "[" + std::string(filled, '#') + std::string(kProgressBarWidth - filled, '.') + "]";
}

}  // namespace

std::string format_value(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_structured() && !value.empty()) return value.dump(2, ' ', false, json::error_handler_t::replace);
  return rpc::to_text(value);
}

std::string format_progress(const json& progress) {
  const json& done = member(progress, "done");
  const json& total = member(progress, "total");
  if (done.is_number() && total.is_number()) {
    std::string line =
        progress_bar(done.get<double>(), total.get<double>()) + " " + rpc::to_text(done) + "/" + rpc::to_text(total);
    if (const json& message = member(progress, "message"); message.is_string() && !message.empty()) {
      line += " " + message.get<std::string>();
    }
    return line;
  }
  const json& current = member(progress, "current");
  if (current.is_number() && total.is_number()) return rpc::to_text(current) + "/" + rpc::to_text(total);
  if (progress.is_string()) return progress.get<std::string>();
  return rpc::to_text(progress);
}

std::string task_line(const json& task) {
  std::string state = field(task, "state");
  std::string line = state;
  if (state == "PENDING") {
    if (const json& waiting = member(task, "waiting_for");
        waiting.is_number_integer() && waiting.get<std::int64_t>() > 0) {
      line += " (waiting for " + rpc::to_text(waiting) + (waiting == 1 ? " dependency)" : " dependencies)");
    }
  } else if (state == "RUNNING") {
    if (const json& progress = member(task, "progress"); !progress.is_null()) {
      line += " " + format_progress(progress);
    } else if (const json& node = member(task, "node"); node.is_string()) {
      line += " on " + node.get<std::string>();
    }
    if (member(task, "cancel_requested") == true) line += " (cancel requested)";
  } else if (state == "FAILED") {
    const json& error = member(task, "error");
    line += ": " + field(error, "message");
    if (const json& type = member(member(error, "data"), "type"); type.is_string()) {
      line += " (" + type.get<std::string>() + ")";
    }
  }
  return line;
}

std::string partial_line(std::size_t index, const json& partial) {
  return "partial " + std::to_string(index) + ": " +
         (partial.is_string() ? partial.get<std::string>() : rpc::to_text(partial));
}

std::string format_status(const json& task, const Terminal& terminal) {
  std::string state = field(task, "state");
  std::string out = paint(task_line(task), state_colour(state), terminal);
  if (const json& held = member(task, "held"); held.is_string()) out += " (held: " + held.get<std::string>() + ")";
  out += "\n";
  if (state == "SUCCEEDED") out += format_value(member(task, "result")) + "\n";
  return out;
}

Colour state_colour(const std::string& state) {
  if (state == "SUCCEEDED") return Colour::kGreen;
  if (state == "FAILED") return Colour::kRed;
  if (state == "CANCELLED") return Colour::kYellow;
  if (state == "RUNNING") return Colour::kCyan;
  return Colour::kNone;
}

Cell broker_summary(const json& broker) {
  bool store_failing = member(broker, "store_ok") == false;
  return Cell(field(broker, "epoch") + " (version " + field(broker, "version") + ", up " +
                  format_duration(member(broker, "uptime_ms")) + ", store " + field(broker, "store") +
                  (store_failing ? ", STORE CANNOT WRITE" : "") + ")",
              store_failing ? Colour::kRed : Colour::kNone);
}

std::string state_counts(const json& tasks) {
  std::string counts;
  for (const char* state : {"PENDING", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"}) {
    counts += std::string(counts.empty() ? "" : "  ") + state + " " + field(tasks, state);
  }
  return counts;
}

std::string format_stats(const json& stats, const Terminal& terminal) {
  Table table;
  table.add_row({"broker", broker_summary(stats)});
  table.add_row({"tasks", state_counts(member(stats, "tasks"))});
  table.add_row({"submitted", field(stats, "submitted") + " (retried " + field(stats, "retried") +
                                  ", stale results refused " + field(stats, "stale_results") + ")"});
  table.add_row({"nodes", field(stats, "nodes") + " (" + field(stats, "slots") + " slots, " + field(stats, "running") +
                              " running)"});
  return table.render(terminal);
}

std::string format_nodes(const json& answer, const Terminal& terminal) {
  const json& nodes = member(answer, "nodes");
  if (!nodes.is_array() || nodes.empty()) return "no nodes\n";
  Table table({"NODE", "SLOTS", "RUNNING", "IDLE", "FUNCTIONS"});
  for (const json& node : nodes) {
    table.add_row({field(node, "name"), field(node, "slots"), field(node, "running"), field(node, "idle_ms") + "ms",
                   join(member(node, "functions"))});
  }
  return table.render(terminal);
}

std::string format_functions(const json& answer, const Terminal& terminal) {
  const json& functions = member(answer, "functions");
  if (!functions.is_array() || functions.empty()) return "no functions\n";
  Table table({"FUNCTION", "NODES", "QUEUED", "RUNNING"});
  for (const json& function : functions) {
    table.add_row(
        {field(function, "name"), field(function, "nodes"), field(function, "queued"), field(function, "running")});
  }
  return table.render(terminal);
}

std::string format_list(const json& answer, const Terminal& terminal) {
  const json& tasks = member(answer, "tasks");
  std::size_t shown = tasks.is_array() ? tasks.size() : 0;
  std::string out;
  if (shown > 0) {
    Table table({"ID", "FUNCTION", "STATE"});
    for (const json& task : tasks) {
      table.add_row(
          {field(task, "id"), field(task, "function"), Cell(task_line(task), state_colour(field(task, "state")))});
    }
    out = table.render(terminal);
  }
  return out + std::to_string(shown) + " of " + field(answer, "total") + " tasks\n";
}

std::string format_ping(const std::string& endpoint, const json& pong, std::chrono::microseconds round_trip) {
  char milliseconds[32];
  std::snprintf(milliseconds, sizeof milliseconds, "%.2f", static_cast<double>(round_trip.count()) / 1000.0);
  return "pong from " + endpoint + ": epoch " + field(pong, "epoch") + ", version " + field(pong, "version") + ", " +
         milliseconds + " ms\n";
}

std::string format_utc_time(const json& ms) {
  if (!ms.is_number()) return "-";
  using namespace std::chrono;
  sys_time<milliseconds> time{milliseconds(ms.get<std::int64_t>())};
  sys_days day = floor<days>(time);
  year_month_day date(day);
  hh_mm_ss clock(time - day);
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
  return text;
}

std::string format_schedule(const json& schedule, const Terminal& terminal) {
  Table table;
  table.add_row({"schedule", field(schedule, "name")});
  table.add_row({"when", schedule_when(schedule)});
  table.add_row({"next run", format_utc_time(member(schedule, "next_run_at"))});
  table.add_row({"task", schedule_task(member(schedule, "task"))});
  return table.render(terminal);
}

std::string format_schedules(const json& answer, const Terminal& terminal) {
  const json& schedules = member(answer, "schedules");
  if (!schedules.is_array() || schedules.empty()) return "no schedules\n";
  Table table({"NAME", "WHEN", "NEXT RUN", "LAST TASK"});
  for (const json& schedule : schedules) {
    table.add_row({field(schedule, "name"), schedule_when(schedule), format_utc_time(member(schedule, "next_run_at")),
                   field(schedule, "last_task")});
  }
  return table.render(terminal);
}

std::string format_removed_schedule(const json& schedule) {
  return "removed schedule " + field(schedule, "name") + " (" + schedule_when(schedule) + ")\n";
}

std::string format_limits(const json& limits) {
  return field(limits, "function") + ": " + limits_summary(limits) + "\n";
}

std::string format_limits_list(const json& answer, const Terminal& terminal) {
  const json& all = member(answer, "limits");
  if (!all.is_array() || all.empty()) return "no limits\n";
  Table table({"FUNCTION", "RATE", "BURST", "CONCURRENCY"});
  for (const json& limits : all) {
    const json& rate = member(limits, "rate_per_s");
    table.add_row({field(limits, "function"), rate.is_number() ? format_number(rate) + "/s" : "-",
                   field(limits, "burst"), field(limits, "concurrency")});
  }
  return table.render(terminal);
}

std::string format_removed_limits(const json& limits) {
  return "removed the limits on " + field(limits, "function") + " (" + limits_summary(limits) + ")\n";
}

std::string format_made_tasks(const json& answer) {
  const json& tasks = member(answer, "tasks");
  std::string out;
  if (!tasks.is_array()) return out;
  for (const json& id : tasks) out += (id.is_string() ? id.get<std::string>() : rpc::to_text(id)) + "\n";
  return out;
}

std::string describe_error(const Error& error) {
  const json& task = member(error.data(), "task");
  std::string subject = task.is_string() ? "task " + task.get<std::string>() : "the task";
  if (dynamic_cast<const TaskFailed*>(&error) != nullptr) {
    std::string out = subject + " failed: " + error.what();
    if (const json& type = member(error.data(), "type"); type.is_string()) out += " (" + type.get<std::string>() + ")";
    return out;
  }
  if (dynamic_cast<const Cancelled*>(&error) != nullptr) {
    const json& dependency = member(error.data(), "dependency");
    if (!dependency.is_string()) return subject + " was cancelled";
    return subject + " was cancelled: its dependency " + dependency.get<std::string>() + " ended " +
           field(error.data(), "dependency_state");
  }
  // "no task <id>" (zt words not_found itself) needs no code name after it.
  if (dynamic_cast<const ProtocolError*>(&error) != nullptr && error.code() != rpc::kNotFound) {
    return std::string(error.what()) + " (" + std::string(rpc::error_code_name(error.code())) + ")";
  }
  return error.what();
}

}  // namespace zerotask::zt

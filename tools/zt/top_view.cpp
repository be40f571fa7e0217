#include "top_view.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "json_fields.hpp"
#include "output.hpp"

namespace zerotask::zt {
namespace {

constexpr const char* kActiveStates[] = {"PENDING", "QUEUED", "RUNNING"};

const json& tasks_of(const json& page) {
  static const json kNone = json::array();
  const json& tasks = member(page, "tasks");
  return tasks.is_array() ? tasks : kNone;
}

// Whether a task.list answer holds every task it counts.
bool page_complete(const json& page) {
  const json& total = member(page, "total");
  return !total.is_number_integer() || static_cast<std::int64_t>(tasks_of(page).size()) >= total.get<std::int64_t>();
}

// The PENDING + QUEUED + RUNNING count of a broker.stats answer.
std::optional<double> active_tasks(const json& stats) {
  double active = 0;
  for (const char* state : kActiveStates) {
    const json& count = member(member(stats, "tasks"), state);
    if (!count.is_number()) return std::nullopt;
    active += count.get<double>();
  }
  return active;
}

// {"add": 2, "echo": 1} as "add 2, echo 1"; "-" when empty.
std::string counts_text(const json& counts) {
  if (!counts.is_object() || counts.empty()) return "-";
  std::string out;
  for (const auto& [name, count] : counts.items()) out += (out.empty() ? "" : ", ") + name + " " + rpc::to_text(count);
  return out;
}

std::string rate_text(const json& rate) {
  if (!rate.is_number()) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", rate.get<double>());
  return text;
}

// Under the queue table when the task.list pages could not count every task.
std::string partial_count_note(const Terminal& terminal) {
  return fit_line("(counted from the oldest " + std::to_string(kTopTaskPage) + " queued and " +
                      std::to_string(kTopTaskPage) + " running tasks; the tasks line has the totals)",
                  terminal) +
         "\n";
}

struct QueueCount {
  std::int64_t depth = 0;
  std::int64_t running = 0;
  std::optional<std::int64_t> oldest_created_at;
  json functions = json::object();
};

struct NodeTasks {
  std::set<std::string> queues;
  json functions = json::object();
};

void count_in(json& counts, const std::string& name) {
  counts[name] = counts.value(name, 0) + 1;
}

json queues_of(const TopAnswers& answers) {
  std::map<std::string, QueueCount> queues;
  for (const json& task : tasks_of(answers.queued)) {
    QueueCount& queue = queues[field(task, "queue")];
    ++queue.depth;
    count_in(queue.functions, field(task, "function"));
    if (const json& created = member(task, "created_at"); created.is_number_integer()) {
      queue.oldest_created_at =
          std::min(queue.oldest_created_at.value_or(created.get<std::int64_t>()), created.get<std::int64_t>());
    }
  }
  for (const json& task : tasks_of(answers.running)) ++queues[field(task, "queue")].running;
  json list = json::array();
  for (const auto& [name, queue] : queues) {
    json oldest = nullptr;
    if (queue.oldest_created_at) oldest = std::max<std::int64_t>(0, answers.now_ms - *queue.oldest_created_at);
    list.push_back({{"queue", name},
                    {"depth", queue.depth},
                    {"running", queue.running},
                    {"oldest_age_ms", oldest},
                    {"functions", queue.functions}});
  }
  return list;
}

json nodes_of(const TopAnswers& answers) {
  std::map<std::string, NodeTasks> by_node;
  for (const json& task : tasks_of(answers.running)) {
    NodeTasks& tasks = by_node[field(task, "node")];
    tasks.queues.insert(field(task, "queue"));
    count_in(tasks.functions, field(task, "function"));
  }
  json list = json::array();
  const json& nodes = member(answers.nodes, "nodes");
  if (!nodes.is_array()) return list;
  for (const json& node : nodes) {
    const NodeTasks& tasks = by_node[field(node, "name")];
    const json& slots = member(node, "slots");
    const json& running = member(node, "running");
    json free = nullptr;
    if (slots.is_number_integer() && running.is_number_integer()) {
      free = std::max<std::int64_t>(0, slots.get<std::int64_t>() - running.get<std::int64_t>());
    }
    // The queues the node serves, from a broker that reports them; else those of its running tasks.
    const json& served = member(node, "queues");
    list.push_back({{"name", member(node, "name")},
                    {"functions", member(node, "functions")},
                    {"queues", served.is_array() ? served : json(tasks.queues)},
                    {"running_functions", tasks.functions},
                    {"slots", slots},
                    {"running", running},
                    {"free", free},
                    {"idle_ms", member(node, "idle_ms")}});
  }
  return list;
}

std::string queues_table(const json& snapshot, const Terminal& terminal) {
  const json& queues = member(snapshot, "queues");
  if (!queues.is_array() || queues.empty()) return "no queued or running tasks\n";
  Table table({"QUEUE", "QUEUED", "RUNNING", "OLDEST", "FUNCTIONS"});
  for (const json& queue : queues) {
    table.add_row({field(queue, "queue"), field(queue, "depth"), field(queue, "running"),
                   format_duration(member(queue, "oldest_age_ms")), counts_text(member(queue, "functions"))});
  }
  return table.render(terminal) + (member(snapshot, "queues_complete") == false ? partial_count_note(terminal) : "");
}

std::string nodes_table(const json& snapshot, const Terminal& terminal) {
  const json& nodes = member(snapshot, "nodes");
  if (!nodes.is_array() || nodes.empty()) return "no nodes\n";
  Table table({"NODE", "QUEUES", "USED", "FREE", "RUNNING", "LAST SEEN", "FUNCTIONS"});
  for (const json& node : nodes) {
    const json& idle = member(node, "idle_ms");
    const json& queues = member(node, "queues");
    table.add_row({field(node, "name"), queues.is_array() && !queues.empty() ? join(queues) : "-",
                   field(node, "running"), field(node, "free"), counts_text(member(node, "running_functions")),
                   idle.is_number() ? format_duration(idle) + " ago" : "-", join(member(node, "functions"))});
  }
  return table.render(terminal);
}

}  // namespace

json throughput(const json& before, const json& after, std::chrono::milliseconds interval) {
  const json& epoch = member(after, "epoch");
  if (interval.count() <= 0 || !epoch.is_string() || member(before, "epoch") != epoch) return nullptr;
  const json& submitted_before = member(before, "submitted");
  const json& submitted_after = member(after, "submitted");
  std::optional<double> active_before = active_tasks(before);
  std::optional<double> active_after = active_tasks(after);
  if (!submitted_before.is_number() || !submitted_after.is_number() || !active_before || !active_after) return nullptr;
  const double seconds = static_cast<double>(interval.count()) / 1000.0;
  const double submitted = submitted_after.get<double>() - submitted_before.get<double>();
  // A task.retry puts a FAILED task back without a submission: never below 0.
  const double completed = std::max(0.0, submitted - (*active_after - *active_before));
  return {{"interval_ms", interval.count()},
          {"submitted_per_s", submitted / seconds},
          {"completed_per_s", completed / seconds}};
}

json top_snapshot(const TopAnswers& answers, json rates, const std::string& endpoint) {
  const json& stats = answers.stats;
  const json& tasks = member(stats, "tasks");
  const json& functions = member(answers.functions, "functions");
  return {{"broker",
           {{"endpoint", endpoint},
            {"epoch", member(stats, "epoch")},
            {"version", member(stats, "version")},
            {"uptime_ms", member(stats, "uptime_ms")},
            {"store", member(stats, "store")},
            {"store_ok", member(stats, "store_ok")}}},
          {"tasks", tasks.is_object() ? tasks : json::object()},
          {"throughput", std::move(rates)},
          {"queues", queues_of(answers)},
          {"queues_complete", page_complete(answers.queued) && page_complete(answers.running)},
          {"functions", functions.is_array() ? functions : json::array()},
          {"nodes", nodes_of(answers)}};
}

std::string format_top(const json& snapshot, const Terminal& terminal) {
  const json& broker = member(snapshot, "broker");
  const json& rates = member(snapshot, "throughput");
  Cell summary = broker_summary(broker);
  summary.text = field(broker, "endpoint") + "  epoch " + summary.text;
  Table head;
  head.add_row({"broker", summary});
  head.add_row({"tasks", state_counts(member(snapshot, "tasks"))});
  head.add_row({"throughput", rates.is_object()
                                  ? rate_text(member(rates, "completed_per_s")) + " completed/s, " +
                                        rate_text(member(rates, "submitted_per_s")) + " submitted/s (over " +
                                        format_duration(member(rates, "interval_ms")) + ")"
                                  : "-"});
  return head.render(terminal) + "\n" + queues_table(snapshot, terminal) + "\n" +
         format_functions({{"functions", member(snapshot, "functions")}}, terminal) + "\n" +
         nodes_table(snapshot, terminal);
}

}  // namespace zerotask::zt

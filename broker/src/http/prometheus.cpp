#include "http/prometheus.hpp"

#include <charconv>
#include <cmath>
#include <utility>
#include <vector>

namespace zerotask::broker {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

std::string format_number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : "NaN";
}

std::string format_number(const json& value) {
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (value.is_boolean()) return value.get<bool>() ? "1" : "0";
  return format_number(value.get<double>());
}

class Text {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (char c : help) {
      if (c == '\\') {
        out_ += "\\\\";
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_ += c;
      }
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, const Labels& labels, const std::string& value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) out_ += ',';
        out_ += labels[i].first;
        out_ += "=\"";
        out_ += escape_label_value(labels[i].second);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  // A family of one sample without labels.
  void single(std::string_view name, std::string_view type, std::string_view help, const json& value) {
    family(name, type, help);
    sample(name, {}, format_number(value));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string render_prometheus(const json& metrics) {
  Text text;
  text.family("zerotask_broker_info", "gauge", "The broker's version and epoch (random per start); always 1.");
  text.sample(
      "zerotask_broker_info",
      {{"version", metrics.at("version").get<std::string>()}, {"epoch", metrics.at("epoch").get<std::string>()}}, "1");
  text.single("zerotask_uptime_seconds", "gauge", "Seconds since the broker started.",
              static_cast<double>(metrics.at("uptime_ms").get<std::int64_t>()) / 1000.0);

  text.family("zerotask_tasks", "gauge", "Tasks the broker holds now, by function and state.");
  for (const auto& entry : metrics.at("tasks")) {
    text.sample(
        "zerotask_tasks",
        {{"function", entry.at("function").get<std::string>()}, {"state", entry.at("state").get<std::string>()}},
        format_number(entry.at("count")));
  }
  text.family("zerotask_queue_depth", "gauge", "QUEUED tasks waiting for a node, by queue.");
  for (const auto& queue : metrics.at("queues")) {
    text.sample("zerotask_queue_depth", {{"queue", queue.at("queue").get<std::string>()}},
                format_number(queue.at("depth")));
  }
  text.family("zerotask_queue_oldest_age_seconds", "gauge",
              "How long the longest-waiting QUEUED task of the queue has waited (0 when none waits).");
  for (const auto& queue : metrics.at("queues")) {
    text.sample("zerotask_queue_oldest_age_seconds", {{"queue", queue.at("queue").get<std::string>()}},
                format_number(static_cast<double>(queue.at("oldest_age_ms").get<std::int64_t>()) / 1000.0));
  }

  const json& counters = metrics.at("counters");
  text.single("zerotask_tasks_submitted_total", "counter", "Tasks made since the broker started.",
              counters.at("submitted"));
  text.single("zerotask_tasks_succeeded_total", "counter", "Tasks that ended SUCCEEDED since the broker started.",
              counters.at("succeeded"));
  text.single("zerotask_tasks_failed_total", "counter", "Tasks that ended FAILED since the broker started.",
              counters.at("failed"));
  text.single("zerotask_tasks_cancelled_total", "counter", "Tasks that ended CANCELLED since the broker started.",
              counters.at("cancelled"));
  text.single("zerotask_tasks_retried_total", "counter", "Failed attempts retried since the broker started.",
              counters.at("retried"));
  text.single("zerotask_stale_results_total", "counter",
              "Results and progress reports refused for a stale lease since the broker started.",
              counters.at("stale_results"));

  const json& run = metrics.at("run_seconds");
  text.family("zerotask_task_run_seconds", "histogram",
              "How long attempts ran, from the hand-out to the node's result.");
  const json& bounds = run.at("buckets");
  const json& counts = run.at("counts");
  for (std::size_t i = 0; i < bounds.size() && i < counts.size(); ++i) {
    text.sample("zerotask_task_run_seconds_bucket", {{"le", format_number(bounds[i].get<double>())}},
                format_number(counts[i]));
  }
  text.sample("zerotask_task_run_seconds_bucket", {{"le", "+Inf"}}, format_number(run.at("count")));
  text.sample("zerotask_task_run_seconds_sum", {}, format_number(run.at("sum").get<double>()));
  text.sample("zerotask_task_run_seconds_count", {}, format_number(run.at("count")));

  text.single("zerotask_nodes", "gauge", "Nodes connected.", metrics.at("nodes"));
  text.single("zerotask_slots", "gauge", "Slots the connected nodes offer.", metrics.at("slots"));
  text.single("zerotask_free_slots", "gauge", "Slots of connected nodes with no task in them.",
              metrics.at("free_slots"));
  text.single("zerotask_running_tasks", "gauge", "Tasks the connected nodes run.", metrics.at("running"));

  const json& store = metrics.at("store");
  text.family("zerotask_store_tasks", "gauge", "Tasks in the store.");
  text.sample("zerotask_store_tasks", {{"store", store.at("name").get<std::string>()}},
              format_number(store.at("tasks")));
  if (store.contains("bytes")) {
    text.family("zerotask_store_bytes", "gauge", "Bytes the store takes (the SQLite store's pages).");
    text.sample("zerotask_store_bytes", {{"store", store.at("name").get<std::string>()}},
                format_number(store.at("bytes")));
  }
  text.single("zerotask_store_ok", "gauge", "1 while the store writes, 0 while it cannot.", store.at("ok"));

  text.single("zerotask_webhooks_pending", "gauge", "Final tasks whose callback is not delivered yet.",
              metrics.at("webhooks_pending"));
  text.single("zerotask_webhooks_delivered_total", "counter",
              "Callbacks delivered (answered 2xx) since the broker started.", counters.at("webhooks_delivered"));
  text.single("zerotask_webhooks_failed_total", "counter",
              "Callbacks given up after the last attempt since the broker started.", counters.at("webhooks_failed"));
  return text.take();
}

}  // namespace zerotask::broker

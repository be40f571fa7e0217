// broker.metrics rendered in the Prometheus text format: families with HELP and TYPE,
// escaped labels, the histogram's buckets, sum and count.
#include <doctest/doctest.h>

#include <string>

#include "http/prometheus.hpp"
#include "http/rest_errors.hpp"

using namespace zerotask;
using namespace zerotask::broker;

namespace {

json sample_metrics() {
  return json::parse(R"({
    "epoch": "00000000000000ab", "version": "0.1.0", "uptime_ms": 1500,
    "tasks": [{"function": "add", "state": "QUEUED", "count": 3},
              {"function": "say \"hi\"\\now\n", "state": "RUNNING", "count": 1}],
    "queues": [{"queue": "default", "depth": 3, "oldest_age_ms": 2500}],
    "counters": {"submitted": 10, "succeeded": 5, "failed": 1, "cancelled": 0, "retried": 2, "stale_results": 0,
                 "webhooks_delivered": 4, "webhooks_failed": 1},
    "run_seconds": {"buckets": [0.005, 0.5, 1], "counts": [1, 4, 5], "sum": 1.25, "count": 6},
    "nodes": 2, "slots": 8, "free_slots": 6, "running": 2, "webhooks_pending": 3,
    "store": {"name": "sqlite", "ok": true, "tasks": 12, "bytes": 40960}})");
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST_CASE("label values escape backslash, double quote and line feed" * doctest::timeout(10)) {
  CHECK(escape_label_value("plain") == "plain");
  CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("every family of the metrics has its HELP and TYPE and its samples" * doctest::timeout(10)) {
  std::string text = render_prometheus(sample_metrics());
  INFO(text);
  CHECK(has_line(text, "# TYPE zerotask_tasks gauge"));
  CHECK(has_line(text, "zerotask_tasks{function=\"add\",state=\"QUEUED\"} 3"));
  CHECK(has_line(text, "zerotask_tasks{function=\"say \\\"hi\\\"\\\\now\\n\",state=\"RUNNING\"} 1"));
  CHECK(has_line(text, "zerotask_queue_depth{queue=\"default\"} 3"));
  CHECK(has_line(text, "zerotask_queue_oldest_age_seconds{queue=\"default\"} 2.5"));
  CHECK(has_line(text, "# TYPE zerotask_tasks_submitted_total counter"));
  CHECK(has_line(text, "zerotask_tasks_submitted_total 10"));
  CHECK(has_line(text, "zerotask_tasks_succeeded_total 5"));
  CHECK(has_line(text, "zerotask_tasks_failed_total 1"));
  CHECK(has_line(text, "zerotask_tasks_cancelled_total 0"));
  CHECK(has_line(text, "zerotask_tasks_retried_total 2"));
  CHECK(has_line(text, "# TYPE zerotask_task_run_seconds histogram"));
  CHECK(has_line(text, "zerotask_task_run_seconds_bucket{le=\"0.005\"} 1"));
  CHECK(has_line(text, "zerotask_task_run_seconds_bucket{le=\"1\"} 5"));
  CHECK(has_line(text, "zerotask_task_run_seconds_bucket{le=\"+Inf\"} 6"));
  CHECK(has_line(text, "zerotask_task_run_seconds_sum 1.25"));
  CHECK(has_line(text, "zerotask_task_run_seconds_count 6"));
  CHECK(has_line(text, "zerotask_nodes 2"));
  CHECK(has_line(text, "zerotask_free_slots 6"));
  CHECK(has_line(text, "zerotask_store_tasks{store=\"sqlite\"} 12"));
  CHECK(has_line(text, "zerotask_store_bytes{store=\"sqlite\"} 40960"));
  CHECK(has_line(text, "zerotask_store_ok 1"));
  CHECK(has_line(text, "zerotask_webhooks_pending 3"));
  CHECK(has_line(text, "zerotask_webhooks_delivered_total 4"));
  CHECK(has_line(text, "zerotask_broker_info{version=\"0.1.0\",epoch=\"00000000000000ab\"} 1"));
  // Every sample belongs to a family declared before it.
  std::string family;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    REQUIRE(end != std::string::npos);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("# HELP ")) continue;
    if (line.starts_with("# TYPE ")) {
      family = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    INFO(line);
    CHECK(line.starts_with("zerotask_"));
    CHECK(line.starts_with(family));
  }
}

TEST_CASE("a memory store has no bytes line" * doctest::timeout(10)) {
  json metrics = sample_metrics();
  metrics["store"] = json{{"name", "memory"}, {"ok", true}, {"tasks", 0}};
  std::string text = render_prometheus(metrics);
  CHECK(text.find("zerotask_store_bytes") == std::string::npos);
  CHECK(has_line(text, "zerotask_store_tasks{store=\"memory\"} 0"));
}

TEST_CASE("JSON-RPC errors map to HTTP statuses" * doctest::timeout(10)) {
  CHECK(http_status_of(rpc::kParseError) == 400);
  CHECK(http_status_of(rpc::kInvalidParams) == 400);
  CHECK(http_status_of(rpc::kNotFound) == 404);
  CHECK(http_status_of(rpc::kNotCancellable) == 409);
  CHECK(http_status_of(rpc::kNotRetryable) == 409);
  CHECK(http_status_of(rpc::kOverloaded) == 503);
  CHECK(http_status_of(rpc::kStoreUnavailable) == 503);
  CHECK(http_status_of(rpc::kInternalError) == 500);
  CHECK(error_body(-32004, "no task x") == json{{"error", {{"code", -32004}, {"message", "no task x"}}}});
}

// The broker executable: parses the command line and runs a zerotask::Broker until
// SIGINT or SIGTERM.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "http/http_address.hpp"
#include "zerotask/broker.hpp"
#include "zerotask/curve.hpp"
#include "zerotask/limits.hpp"
#include "zerotask/log.hpp"
#include "zerotask/stop_signals.hpp"
#include "zerotask/version.hpp"

int main(int argc, char** argv) {
  zerotask::BrokerConfig config;
  std::string log_level = "info";
  long heartbeat_ms = config.heartbeat_interval.count();
  long keep_finished_ms = config.keep_finished.count();

  CLI::App app{"zerotask broker: keeps tasks and hands them out to nodes (JSON-RPC 2.0 over ZeroMQ)."};
  app.set_version_flag("--version", std::string(zerotask::version()));
  app.add_option("--endpoint", config.endpoint, "Request endpoint (ROUTER) to bind")->capture_default_str();
  app.add_option("--events", config.event_endpoint,
                 "Event endpoint (PUB) to bind; default: the request endpoint's port + 1");
  app.add_option("--store", config.store,
                 "Task store: the path of an SQLite file (created if missing; tasks survive a restart), or "
                 "'memory' (tasks are lost when the broker exits)")
      ->capture_default_str();
  std::string sync = "full";
  app.add_option("--sync", sync,
                 "When a commit of the SQLite store counts as done: 'full' fsyncs every commit (nothing "
                 "acknowledged is lost, even on power loss); 'normal' fsyncs only at checkpoints (survives a "
                 "crash of the broker, a power loss can lose the last commits)")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "normal"}));
  app.add_option("--log-level", log_level, "error, warn, info or debug")
      ->capture_default_str()
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  app.add_option(
         "--heartbeat-ms", heartbeat_ms,
         "Heartbeat interval; a node silent for 3 intervals is dropped and loses its leases (its tasks are retried)")
      ->capture_default_str()
      ->check(CLI::Range(10L, 600000L));
  app.add_option("--keep-finished-ms", keep_finished_ms, "How long succeeded and cancelled tasks stay queryable")
      ->capture_default_str()
      ->check(CLI::Range(0L, 30L * 24 * 3600 * 1000));
  long keep_failed_ms = config.keep_failed.count();
  app.add_option("--keep-failed-ms", keep_failed_ms,
                 "How long failed tasks (dead letters, see task.retry) stay queryable")
      ->capture_default_str()
      ->check(CLI::Range(0L, 365L * 24 * 3600 * 1000));
  app.add_option("--max-retries", config.max_retries,
                 "Failed attempts retried before a task is FAILED, for tasks and functions that set none")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  long retry_backoff_ms = config.retry_backoff.count();
  app.add_option("--retry-backoff-ms", retry_backoff_ms,
                 "Base of the exponential backoff before a retry (full jitter: a random wait up to "
                 "base * 2^(retry - 1))")
      ->capture_default_str()
      ->check(CLI::Range(0L, 3600L * 1000));
  long retry_backoff_max_ms = config.retry_backoff_max.count();
  app.add_option("--retry-backoff-max-ms", retry_backoff_max_ms, "Cap of the backoff before a retry")
      ->capture_default_str()
      ->check(CLI::Range(0L, 24L * 3600 * 1000));
  app.add_option(
      "--rules", config.rules_file,
      "A rules file (JSON): tasks to make when tasks succeed or events are emitted (docs/PROTOCOL.md, Rules)");
  long cancel_grace_ms = config.cancel_grace.count();
  app.add_option("--cancel-grace-ms", cancel_grace_ms,
                 "How long a cancelled RUNNING task may take to stop before it is CANCELLED anyway")
      ->capture_default_str()
      ->check(CLI::Range(0L, 24L * 3600 * 1000));
  app.add_option("--max-queued", config.max_queued,
                 "Most tasks waiting (QUEUED or PENDING); submissions past it get -32003 overloaded")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32));
  app.add_option("--max-payload-bytes", config.max_payload_bytes,
                 "Largest params of a task, serialized; a larger one gets -32003 overloaded")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{2}, std::size_t{1} << 31));
  app.add_option("--max-waiting-per-peer", config.max_waiting_per_peer,
                 "Most calls waiting for an answer on one connection; more get -32003 overloaded")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  app.add_option("--max-message-bytes", config.max_message_bytes,
                 "Largest message accepted; a peer sending more is disconnected")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1024}, std::int64_t{1} << 31));
  app.add_option("--max-depth", config.max_depth, "Deepest JSON nesting accepted (arrays and objects)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{2}, zerotask::kMaxConfigurableDepth));
  long busy_poll_us = config.busy_poll.count();
  app.add_option("--busy-poll-us", busy_poll_us,
                 "After each burst of work, keep polling without sleeping this long (0: off); "
                 "trades CPU time for latency under load; off when the broker may run on one CPU only")
      ->capture_default_str()
      ->check(CLI::Range(0L, 100000L));
  app.add_option("--http", config.http,
                 "Serve HTTP on HOST:PORT (e.g. 127.0.0.1:8080, or *:8080 for every interface): /healthz, "
                 "/metrics (Prometheus), the REST way to tasks, live events and the dashboard (docs/HTTP.md); "
                 "off unless given");
  app.add_option("--webhook-attempts", config.webhook_attempts,
                 "POSTs of a task's final state to its callback_url before the delivery gives up")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  long webhook_backoff_ms = config.webhook_backoff.count();
  app.add_option("--webhook-backoff-ms", webhook_backoff_ms,
                 "Wait after a callback POST that failed (no 2xx answer) before the next; doubles after each, "
                 "at most 10 minutes")
      ->capture_default_str()
      ->check(CLI::Range(0L, 600000L));
  long webhook_timeout_ms = config.webhook_timeout.count();
  app.add_option("--webhook-timeout-ms", webhook_timeout_ms,
                 "How long one callback POST may take to connect, and to send or receive each part")
      ->capture_default_str()
      ->check(CLI::Range(100L, 600000L));
  app.add_option("--keys", config.keys_file,
                 "Require CURVE on both endpoints and accept only the public keys this keys file lists, each with "
                 "its role (docs/SECURITY.md); needs --curve-key")
      ->check(CLI::ExistingFile);
  std::string curve_key_file;
  app.add_option("--curve-key", curve_key_file,
                 "The broker's own key pair, a file from `zt keygen` (default: the secret key in "
                 "ZEROTASK_SECRET_KEY); used with --keys");
  app.add_flag("--insecure", config.insecure,
               "Serve without CURVE on endpoints other machines can reach, and HTTP beyond loopback; refused "
               "otherwise");
  CLI11_PARSE(app, argc, argv);
  if (!config.http.empty() && !zerotask::broker::parse_http_address(config.http)) {
    std::cerr << "broker: --http must be HOST:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8080 or *:8080), not '"
              << config.http << "'\n";
    return 1;
  }

  zerotask::set_log_level(*zerotask::parse_log_level(log_level));
  config.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  config.keep_finished = std::chrono::milliseconds(keep_finished_ms);
  config.keep_failed = std::chrono::milliseconds(keep_failed_ms);
  config.retry_backoff = std::chrono::milliseconds(retry_backoff_ms);
  config.retry_backoff_max = std::chrono::milliseconds(retry_backoff_max_ms);
  config.cancel_grace = std::chrono::milliseconds(cancel_grace_ms);
  config.busy_poll = std::chrono::microseconds(busy_poll_us);
  config.webhook_backoff = std::chrono::milliseconds(webhook_backoff_ms);
  config.webhook_timeout = std::chrono::milliseconds(webhook_timeout_ms);
  config.sync = sync == "full" ? zerotask::StoreSync::Full : zerotask::StoreSync::Normal;

  try {
    if (!config.keys_file.empty()) {
      auto own = zerotask::resolve_key_pair(curve_key_file);
      if (!own) throw std::invalid_argument("--keys needs the broker's own key pair: --curve-key FILE (zt keygen)");
      config.curve_secret_key = own->secret_key;
    } else if (!curve_key_file.empty()) {
      throw std::invalid_argument("--curve-key is used with --keys FILE, the keys that may connect");
    }
    zerotask::Broker broker(config);
    zerotask::StopSignals signals([&broker] { broker.stop(); });
    broker.run();
  } catch (const std::exception& error) {
    std::cerr << "broker: " << error.what() << "\n";
    return 1;
  }
  return 0;
}

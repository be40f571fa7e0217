// The broker executable: parses the command line and runs a zerotask::Broker until
// SIGINT or SIGTERM.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "zerotask/broker.hpp"
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
  app.add_option("--store", config.store, "Task store: 'memory' (tasks are lost when the broker exits)")
      ->capture_default_str()
      ->check(CLI::IsMember({"memory"}));
  app.add_option("--log-level", log_level, "error, warn, info or debug")
      ->capture_default_str()
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  app.add_option("--heartbeat-ms", heartbeat_ms,
                 "Heartbeat interval; a node silent for 3 intervals is dropped and its tasks requeued")
      ->capture_default_str()
      ->check(CLI::Range(10L, 600000L));
  app.add_option("--keep-finished-ms", keep_finished_ms, "How long finished tasks stay queryable")
      ->capture_default_str()
      ->check(CLI::Range(0L, 30L * 24 * 3600 * 1000));
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
                 "trades CPU time for latency under load")
      ->capture_default_str()
      ->check(CLI::Range(0L, 100000L));
  CLI11_PARSE(app, argc, argv);

  zerotask::set_log_level(*zerotask::parse_log_level(log_level));
  config.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  config.keep_finished = std::chrono::milliseconds(keep_finished_ms);
  config.busy_poll = std::chrono::microseconds(busy_poll_us);

  try {
    zerotask::Broker broker(config);
    zerotask::StopSignals signals([&broker] { broker.stop(); });
    broker.run();
  } catch (const std::exception& error) {
    std::cerr << "broker: " << error.what() << "\n";
    return 1;
  }
  return 0;
}

#include "recovery.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "deployment.hpp"
#include "drivers.hpp"
#include "durations.hpp"
#include "rpc_connection.hpp"
#include "workload.hpp"

namespace zerotask::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Batches in flight while filling: enough to keep the broker's group commit fed.
constexpr std::size_t kFillWindow = 8;
// A broker that is stopped checkpoints its write-ahead log into the database first.
constexpr std::chrono::milliseconds kCheckpointGrace{120000};
// How long a restarted broker may take to answer at all; far beyond the target, so
// that a slow recovery is a figure rather than an error.
constexpr std::chrono::milliseconds kRecoverTimeout{300000};
constexpr std::chrono::milliseconds kRecoveryProbeTimeout{500};
// Between attempts to connect to the restarted broker before it has bound: the
// resolution of the figure.
constexpr std::chrono::milliseconds kReconnectInterval{2};
// broker.stats of a million recovered tasks.
constexpr std::chrono::milliseconds kRecoveredStatsTimeout{60000};

// The store file and the write-ahead log and journal files SQLite keeps beside it.
std::uintmax_t store_size(const std::string& store_path) {
  std::uintmax_t total = 0;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code error;
    auto size = std::filesystem::file_size(store_path + suffix, error);
    if (!error) total += size;
  }
  return total;
}

BrokerSetup durable_setup(const std::string& store_path, const std::string& sync, std::size_t tasks) {
  BrokerSetup setup;
  setup.store = store_path;
  setup.sync = sync;
  setup.max_queued = tasks;  // the broker's default limit may be lower than --recover
  return setup;
}

}  // namespace

Recovery measure_recovery(zmq::context_t& context, const std::string& bin_dir, const std::string& store_path,
                          std::size_t tasks) {
  Recovery recovery;
  recovery.tasks = tasks;
  {
    // Filled with --sync normal: the file is the same as with full, sooner.
    Deployment filler = Deployment::start_zerotask(bin_dir, false, durable_setup(store_path, "normal", tasks));
    RpcConnection connection(context, filler.endpoint());
    filler.wait_zerotask_ready(connection, false);
    std::size_t created = 0;
    auto fill_start = Clock::now();
    run_pipelined(
        connection, queue_batch_count(tasks), kFillWindow,
        [&](std::uint64_t k) { return queue_batch_number(k, tasks); },
        [&](std::uint64_t, json& result) { created += result.at("ids").size(); });
    recovery.fill_seconds = seconds(Clock::now() - fill_start);
    if (created != tasks) {
      throw std::runtime_error("the broker made " + std::to_string(created) + " of " + std::to_string(tasks) +
                               " tasks for the recovery figure");
    }
    auto stop_start = Clock::now();
    filler.stop(kCheckpointGrace);
    recovery.stop_seconds = seconds(Clock::now() - stop_start);
  }
  recovery.store_bytes = store_size(store_path);

  // Timed from just before the spawn: the broker loads the store before it binds
  // its endpoint, so its first answer comes once every task is back.
  auto start = Clock::now();
  Deployment restarted = Deployment::start_zerotask(bin_dir, false, durable_setup(store_path, "full", tasks));
  // Requests sent before the broker has bound wait in the socket and go out as soon
  // as it connects, so the first answer marks the moment it serves.
  RpcConnection connection(context, restarted.endpoint(), kReconnectInterval);
  while (connection.request("broker.ping", nullptr, kRecoveryProbeTimeout).is_null()) {
    restarted.require_running();
    if (Clock::now() - start > kRecoverTimeout) {
      throw std::runtime_error("the broker restarted on " + store_path + " did not answer broker.ping within " +
                               std::to_string(kRecoverTimeout.count() / 1000) + " s");
    }
  }
  recovery.recover_seconds = seconds(Clock::now() - start);

  json stats = connection.call("broker.stats", nullptr, kRecoveredStatsTimeout);
  std::int64_t queued = stats.at("tasks").at("QUEUED").get<std::int64_t>();
  if (stats.value("store", "") != "sqlite" || queued != static_cast<std::int64_t>(tasks)) {
    throw std::runtime_error("the broker restarted on " + store_path + " holds " + std::to_string(queued) +
                             " QUEUED tasks, not " + std::to_string(tasks) + " (broker.stats: " + rpc::to_text(stats) +
                             ")");
  }
  return recovery;
}

}  // namespace zerotask::bench

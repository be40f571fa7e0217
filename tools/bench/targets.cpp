#include "targets.hpp"

#include <stdexcept>
#include <thread>

#include "drivers.hpp"
#include "durations.hpp"
#include "workload.hpp"

namespace zerotask::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kAnswerTimeout{120000};
constexpr std::chrono::milliseconds kStatsPollInterval{1};

double per_second(std::size_t count, std::chrono::nanoseconds elapsed) {
  return static_cast<double>(count) / std::chrono::duration<double>(elapsed).count();
}

std::int64_t succeeded_count(RpcConnection& connection) {
  return connection.call("broker.stats", nullptr, kStallTimeout).at("tasks").at("SUCCEEDED").get<std::int64_t>();
}

}  // namespace

Target::Target(std::string name, Deployment deployment, RpcConnection connection)
    : name_(std::move(name)), deployment_(std::move(deployment)), connection_(std::move(connection)) {}

void Target::warm_up(std::size_t pipelined, std::size_t window, std::size_t sequential) {
  run_pipelined(connection_, pipelined, window, noop_call);
  run_sequential(connection_, sequential, noop_call);
}

void Target::pipelined_round(std::size_t count, std::size_t window) {
  pipelined_time_ += run_pipelined(connection_, count, window, noop_call);
  pipelined_count_ += count;
  deployment_.require_running();
}

void Target::fire_and_forget_round(std::size_t count) {
  fire_and_forget_time_ += run_notifications(connection_, count, noop_notification(), completion_of(count));
  fire_and_forget_count_ += count;
  deployment_.require_running();
}

void Target::sequential_round(std::size_t count) {
  auto round_trips = run_sequential(connection_, count, noop_call);
  round_trips_.insert(round_trips_.end(), round_trips.begin(), round_trips.end());
  deployment_.require_running();
}

double Target::throughput_tps() const {
  return per_second(pipelined_count_, pipelined_time_);
}

double Target::fire_and_forget_tps() const {
  return per_second(fire_and_forget_count_, fire_and_forget_time_);
}

std::function<void()> ReferenceTarget::completion_of(std::size_t) {
  return [this] { connection().call(kNoopFunction, json::array(), kAnswerTimeout); };
}

std::function<void()> ZerotaskTarget::completion_of(std::size_t count) {
  std::int64_t target = succeeded_count(connection()) + static_cast<std::int64_t>(count);
  return [this, target] {
    std::int64_t seen = succeeded_count(connection());
    auto last_growth = Clock::now();
    while (seen < target) {
      std::this_thread::sleep_for(kStatsPollInterval);
      deployment().require_running();
      std::int64_t now = succeeded_count(connection());
      if (now > seen) {
        seen = now;
        last_growth = Clock::now();
      } else if (Clock::now() - last_growth > kStallTimeout) {
        throw std::runtime_error("fire-and-forget stalled: " + std::to_string(target - seen) +
                                 " tasks still to succeed; broker.stats: " +
                                 rpc::to_text(connection().call("broker.stats", nullptr, kStallTimeout)));
      }
    }
  };
}

}  // namespace zerotask::bench

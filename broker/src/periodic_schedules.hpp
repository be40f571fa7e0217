// PeriodicSchedules: tasks made again and again (schedule.add, like Celery beat),
// at a fixed interval or on a cron expression (UTC). Kept in the store with their
// next run time; a broker that was down while a schedule was due fires it once
// when it comes back, not once per missed run. Submits through the Scheduler like
// any client. Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "cron.hpp"
#include "scheduler.hpp"
#include "store/task_store.hpp"

namespace zerotask::broker {

class PeriodicSchedules {
 public:
  // Loads the stored schedules.
  PeriodicSchedules(TaskStore& store, Scheduler& scheduler, SteadyTime now);

  // schedule.add, schedule.list, schedule.remove (docs/PROTOCOL.md); throw RpcError.
  json add(const json& params);
  json list() const;
  json remove(const json& params);

  // Submits the task of every schedule that is due.
  void tick(SteadyTime now);
  std::optional<SteadyTime> next_deadline() const;

 private:
  struct Schedule {
    std::string name;
    json definition;  // {name, cron | interval_ms, task}
    std::optional<CronExpression> cron;
    std::int64_t interval_ms = 0;
    std::int64_t next_run_at = 0;  // ms since the Unix epoch
    std::int64_t last_run_at = 0;  // 0: never fired
    TaskId last_task = 0;
  };

  // The first run after `unix_ms`.
  static std::int64_t next_run(const Schedule& schedule, std::int64_t unix_ms);
  static Schedule read(const json& definition);
  void arm(const Schedule& schedule, SteadyTime now, std::int64_t unix_now);
  void fire(Schedule& schedule, std::int64_t unix_now);
  // Stored as the schedule object under "schedule/<name>".
  void store(const Schedule& schedule);
  static json to_json(const Schedule& schedule);

  TaskStore& store_;
  Scheduler& scheduler_;
  std::map<std::string, Schedule> schedules_;
  std::multimap<SteadyTime, std::pair<std::string, std::int64_t>> due_;  // -> (name, next_run_at)
};

}  // namespace zerotask::broker

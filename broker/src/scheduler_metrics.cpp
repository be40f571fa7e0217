// Scheduler, metrics: broker.metrics, from counts kept as tasks change (by function
// and state, counters since start, the run-time histogram) and from the queues and
// nodes; O(functions + queues + nodes) per request.
#include <algorithm>
#include <map>

#include "scheduler.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/version.hpp"

namespace zerotask::broker {

json Scheduler::metrics(SteadyTime now) {
  std::map<std::string_view, const FunctionTally*> by_name;
  for (const auto& [function, tally] : tallies_) by_name.emplace(function, &tally);
  json tasks = json::array();
  for (const auto& [function, tally] : by_name) {
    for (std::size_t state = 0; state < tally->by_state.size(); ++state) {
      if (tally->by_state[state] == 0) continue;
      tasks.push_back(json{{"function", function},
                           {"state", to_string(static_cast<TaskState>(state))},
                           {"count", tally->by_state[state]}});
    }
  }

  struct QueueFigures {
    std::size_t depth = 0;
    std::optional<SteadyTime> oldest;
  };
  std::map<std::string, QueueFigures> queues;
  auto queued_record = [&](TaskId id) -> const TaskRecord* {
    const TaskRecord* record = store_.find(id);
    return record && record->state == TaskState::Queued ? record : nullptr;
  };
  ready_.for_each([&](Lane& lane) {
    QueueFigures& figures = queues[lane.queue];
    figures.depth += lane.queued;
    if (lane.queued == 0) return;
    auto oldest = ready_.oldest(lane, queued_record);
    if (oldest && (!figures.oldest || *oldest < *figures.oldest)) figures.oldest = oldest;
  });
  json queue_list = json::array();
  for (const auto& [queue, figures] : queues) {
    queue_list.push_back(json{{"queue", queue},
                              {"depth", figures.depth},
                              {"oldest_age_ms", figures.oldest ? elapsed_ms(*figures.oldest, now) : 0}});
  }

  std::size_t slots = 0;
  std::size_t free_slots = 0;
  std::size_t running = 0;
  for (const auto& [routing_id, session] : nodes_.sessions()) {
    slots += session.slots;
    free_slots += session.credit();
    running += session.running.size() + session.adopted.size();
  }

  json store = {{"name", store_.name()}, {"ok", store_available_}, {"tasks", store_.size()}};
  if (auto bytes = store_.size_bytes()) store["bytes"] = *bytes;

  return json{{"epoch", config_.epoch},
              {"version", zerotask::version()},
              {"uptime_ms", elapsed_ms(started_, now)},
              {"tasks", std::move(tasks)},
              {"queues", std::move(queue_list)},
              {"counters",
               {{"submitted", submitted_},
                {"succeeded", ended_succeeded_},
                {"failed", ended_failed_},
                {"cancelled", ended_cancelled_},
                {"retried", retried_},
                {"stale_results", stale_results_},
                {"webhooks_delivered", webhooks_delivered_},
                {"webhooks_failed", webhooks_failed_}}},
              {"run_seconds", run_times_.to_json()},
              {"nodes", nodes_.size()},
              {"slots", slots},
              {"free_slots", free_slots},
              {"running", running},
              {"webhooks_pending", webhooks_pending_},
              {"store", std::move(store)}};
}

}  // namespace zerotask::broker

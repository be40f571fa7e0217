// Scheduler, introspection: broker.stats, broker.functions, broker.nodes, and the
// task object with why a queued task waits.
#include "scheduler.hpp"

#include <algorithm>
#include <set>

#include "zerotask/clock.hpp"
#include "zerotask/version.hpp"

namespace zerotask::broker {

json Scheduler::describe(const TaskRecord& record) const {
  json task = to_json(record);
  if (record.state != TaskState::Queued) return task;
  if (nodes_.serving(record.queue, record.function).empty()) {
    task["held"] = "no connected node serves " + record.function + " from queue " + record.queue;
  } else if (auto held = held_.find(record.function); held != held_.end()) {
    task["held"] = held->second;
  }
  return task;
}

json Scheduler::stats(SteadyTime now) const {
  json tasks = json::object();
  for (std::size_t i = 0; i < counts_.size(); ++i)
    tasks[std::string(to_string(static_cast<TaskState>(i)))] = counts_[i];
  std::size_t slots = 0;
  std::size_t running = 0;
  for (const auto& [routing_id, session] : nodes_.sessions()) {
    slots += session.slots;
    running += session.running.size() + session.adopted.size();
  }
  return json{{"epoch", config_.epoch},
              {"version", zerotask::version()},
              {"uptime_ms", elapsed_ms(started_, now)},
              {"store", store_.name()},
              {"store_ok", store_available_},
              {"tasks", tasks},
              {"submitted", submitted_},
              {"retried", retried_},
              {"stale_results", stale_results_},
              {"nodes", nodes_.size()},
              {"slots", slots},
              {"running", running}};
}

json Scheduler::functions() const {
  std::set<std::string> names;
  for (const auto& name : nodes_.functions()) names.insert(name);
  ready_.for_each([&](const Lane& lane) {
    if (lane.queued > 0) names.insert(lane.function);
  });
  for (const auto& [name, running] : running_by_function_) names.insert(name);
  json list = json::array();
  for (const auto& name : names) {
    auto running = running_by_function_.find(name);
    list.push_back(json{{"name", name},
                        {"nodes", nodes_.serving_count(name)},
                        {"queued", ready_.queued(name)},
                        {"running", running == running_by_function_.end() ? 0 : running->second}});
  }
  return json{{"functions", list}};
}

json Scheduler::nodes(SteadyTime now) const {
  json list = json::array();
  for (const auto& [routing_id, session] : nodes_.sessions()) {
    list.push_back(json{{"name", session.name},
                        {"functions", session.functions},
                        {"queues", session.queues},
                        {"slots", session.slots},
                        {"running", session.running.size() + session.adopted.size()},
                        {"idle_ms", elapsed_ms(session.last_seen, now)}});
  }
  std::sort(list.begin(), list.end(), [](const json& a, const json& b) { return a["name"] < b["name"]; });
  return json{{"nodes", list}};
}

}  // namespace zerotask::broker

// NodeRegistry: the nodes connected to the broker, each a session keyed by the
// routing id of its DEALER, with its name, the queues and functions it serves, its
// slots and the tasks it holds (its leases). Pure bookkeeping; loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "zerotask/task_id.hpp"

namespace zerotask::broker {

using SteadyTime = std::chrono::steady_clock::time_point;

struct NodeSession {
  std::string routing_id;
  std::string name;
  std::string key;  // the name of the CURVE key it said hello with; empty without keys
  std::vector<std::string> functions;
  std::vector<std::string> queues;
  std::size_t slots = 0;
  std::unordered_set<TaskId> running;  // leases handed out to this session: each takes a slot
  // Leases the node renewed in its hello, from tasks it started before: its slots
  // already leave them out.
  std::unordered_set<TaskId> adopted;
  SteadyTime last_seen;

  std::size_t credit() const { return running.size() >= slots ? 0 : slots - running.size(); }
};

class NodeRegistry {
 public:
  // Adds a session. A session with the same routing id or the same name is taken
  // out first and returned, so its tasks can be requeued.
  std::vector<NodeSession> add(NodeSession session);
  NodeSession* find(const std::string& routing_id);
  std::optional<NodeSession> remove(const std::string& routing_id);
  // Routing ids of the nodes serving `function` from `queue`, in the order they joined.
  const std::vector<std::string>& serving(std::string_view queue, std::string_view function) const;
  // How many nodes serve `function`, from any queue.
  std::size_t serving_count(const std::string& function) const;
  NodeSession* find_by_name(const std::string& name);
  // Routing ids of the sessions not seen since `cutoff`.
  std::vector<std::string> silent_since(SteadyTime cutoff) const;

  std::size_t size() const { return sessions_.size(); }
  const std::unordered_map<std::string, NodeSession>& sessions() const { return sessions_; }
  // Names of every function some node serves.
  std::vector<std::string> functions() const;

 private:
  std::unordered_map<std::string, NodeSession> sessions_;
  std::unordered_map<std::string, std::string> routing_id_by_name_;
  std::unordered_map<std::string, std::vector<std::string>> serving_;  // by lane_key(queue, function)
  std::unordered_map<std::string, std::size_t> functions_;             // function -> sessions serving it
};

}  // namespace zerotask::broker

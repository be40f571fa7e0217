#include "node_registry.hpp"

#include <algorithm>

#include "ready_queues.hpp"

namespace zerotask::broker {

std::vector<NodeSession> NodeRegistry::add(NodeSession session) {
  std::vector<NodeSession> replaced;
  if (auto old = remove(session.routing_id)) replaced.push_back(std::move(*old));
  if (auto it = routing_id_by_name_.find(session.name); it != routing_id_by_name_.end()) {
    if (auto old = remove(std::string(it->second))) replaced.push_back(std::move(*old));
  }
  for (const auto& function : session.functions) {
    ++functions_[function];
    for (const auto& queue : session.queues) serving_[lane_key(queue, function)].push_back(session.routing_id);
  }
  routing_id_by_name_[session.name] = session.routing_id;
  std::string key = session.routing_id;
  sessions_.emplace(std::move(key), std::move(session));
  return replaced;
}

NodeSession* NodeRegistry::find(const std::string& routing_id) {
  auto it = sessions_.find(routing_id);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::optional<NodeSession> NodeRegistry::remove(const std::string& routing_id) {
  auto it = sessions_.find(routing_id);
  if (it == sessions_.end()) return std::nullopt;
  NodeSession session = std::move(it->second);
  sessions_.erase(it);
  routing_id_by_name_.erase(session.name);
  for (const auto& function : session.functions) {
    if (--functions_[function] == 0) functions_.erase(function);
    for (const auto& queue : session.queues) {
      std::string key = lane_key(queue, function);
      auto& nodes = serving_[key];
      std::erase(nodes, routing_id);
      if (nodes.empty()) serving_.erase(key);
    }
  }
  return session;
}

const std::vector<std::string>& NodeRegistry::serving(std::string_view queue, std::string_view function) const {
  static const std::vector<std::string> kNone;
  auto it = serving_.find(lane_key(queue, function));
  return it == serving_.end() ? kNone : it->second;
}

std::size_t NodeRegistry::serving_count(const std::string& function) const {
  auto it = functions_.find(function);
  return it == functions_.end() ? 0 : it->second;
}

NodeSession* NodeRegistry::find_by_name(const std::string& name) {
  auto it = routing_id_by_name_.find(name);
  return it == routing_id_by_name_.end() ? nullptr : find(it->second);
}

std::vector<std::string> NodeRegistry::silent_since(SteadyTime cutoff) const {
  std::vector<std::string> silent;
  for (const auto& [routing_id, session] : sessions_) {
    if (session.last_seen < cutoff) silent.push_back(routing_id);
  }
  return silent;
}

std::vector<std::string> NodeRegistry::functions() const {
  std::vector<std::string> names;
  names.reserve(functions_.size());
  for (const auto& [name, sessions] : functions_) names.push_back(name);
  return names;
}

}  // namespace zerotask::broker

#include "node_registry.hpp"

#include <algorithm>

namespace zerotask::broker {

std::vector<NodeSession> NodeRegistry::add(NodeSession session) {
  std::vector<NodeSession> replaced;
  if (auto old = remove(session.routing_id)) replaced.push_back(std::move(*old));
  if (auto it = routing_id_by_name_.find(session.name); it != routing_id_by_name_.end()) {
    if (auto old = remove(std::string(it->second))) replaced.push_back(std::move(*old));
  }
  for (const auto& function : session.functions) serving_[function].push_back(session.routing_id);
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
    auto& nodes = serving_[function];
    std::erase(nodes, routing_id);
    if (nodes.empty()) serving_.erase(function);
  }
  return session;
}

const std::vector<std::string>& NodeRegistry::serving(const std::string& function) const {
  static const std::vector<std::string> kNone;
  auto it = serving_.find(function);
  return it == serving_.end() ? kNone : it->second;
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
  names.reserve(serving_.size());
  for (const auto& [name, nodes] : serving_) names.push_back(name);
  return names;
}

}  // namespace zerotask::broker

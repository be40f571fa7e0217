#include "running_tasks.hpp"

namespace zerotask::node_impl {

RunningTasks::Ticket RunningTasks::add(std::string_view id, int attempt, std::uint64_t generation) {
  Ticket ticket = slots_.size();
  if (free_.empty()) {
    slots_.emplace_back();
  } else {
    ticket = free_.back();
    free_.pop_back();
  }
  Slot& slot = slots_[ticket];
  slot.token.id.assign(id);
  slot.token.attempt = attempt;
  slot.generation = generation;
  slot.held = true;
  return ticket;
}

std::uint64_t RunningTasks::remove(Ticket ticket) {
  Slot& slot = slots_[ticket];
  slot.held = false;
  free_.push_back(ticket);
  return slot.generation;
}

std::vector<LeaseToken> RunningTasks::tokens() const {
  std::vector<LeaseToken> tokens;
  tokens.reserve(size());
  for (const auto& slot : slots_) {
    if (slot.held) tokens.push_back(slot.token);
  }
  return tokens;
}

}  // namespace zerotask::node_impl

#include "running_tasks.hpp"

#include <utility>

namespace zerotask::node_impl {

RunningTasks::Ticket RunningTasks::add(std::string_view id, int attempt, std::uint64_t generation,
                                       std::shared_ptr<TaskStop> stop) {
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
  slot.stop = std::move(stop);
  slot.held = true;
  return ticket;
}

std::uint64_t RunningTasks::remove(Ticket ticket) {
  Slot& slot = slots_[ticket];
  slot.held = false;
  slot.stop.reset();
  free_.push_back(ticket);
  return slot.generation;
}

bool RunningTasks::cancel(std::string_view id, int attempt) {
  // A linear search: node.cancel is rare, and a node holds at most one task per worker.
  for (auto& slot : slots_) {
    if (slot.held && slot.stop && slot.token.attempt == attempt && slot.token.id == id) {
      slot.stop->cancel();
      return true;
    }
  }
  return false;
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

// RunningTasks: the tasks a node has accepted and whose results it has not taken
// from the outbox yet, each under a ticket (a small integer) that travels with its
// Job and comes back with its TaskResult. NodeLoop lists them in the hello after a
// rejoin (their leases), tells the tasks accepted before the last rejoin from the
// others (their generation), and cancels one by its lease token on node.cancel (its
// TaskStop, shared with the worker that runs it).
//
// Tickets are reused, and so is the capacity of their id strings: once as many
// tasks have been held at once as ever will be, add() and remove() do not allocate.
//
// Not thread-safe: the I/O thread's alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "messages.hpp"
#include "task_stop.hpp"

namespace zerotask::node_impl {

class RunningTasks {
 public:
  using Ticket = std::size_t;

  // `stop` is null for a task that runs nowhere (its function is unknown).
  Ticket add(std::string_view id, int attempt, std::uint64_t generation, std::shared_ptr<TaskStop> stop);
  // Forgets the task of a ticket add() gave and nobody removed since; returns the
  // generation it was added with.
  std::uint64_t remove(Ticket ticket);
  // Cancels the task held with that lease token; false when none is (finished,
  // another attempt, never accepted) or it runs nowhere.
  bool cancel(std::string_view id, int attempt);
  std::size_t size() const { return slots_.size() - free_.size(); }
  // The lease token of every task held.
  std::vector<LeaseToken> tokens() const;

 private:
  struct Slot {
    LeaseToken token;
    std::uint64_t generation = 0;
    std::shared_ptr<TaskStop> stop;
    bool held = false;
  };
  std::vector<Slot> slots_;
  std::vector<Ticket> free_;
};

}  // namespace zerotask::node_impl

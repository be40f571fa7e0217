// WorkerPool: the threads that run a node's functions.
//
// The I/O thread submits jobs; a condition variable hands them to idle workers; each
// worker runs one job at a time through call_function() and pushes its result (and any
// progress the function reports) to the Outbox. Workers never touch a socket.
//
// submit(), discard_queued() and request_stop() belong to the I/O thread (they are
// thread-safe, but the node's bookkeeping of what is outstanding assumes one
// caller). The destructor drops queued jobs, fires the stop token and joins: it
// returns when every running function has returned.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "outbox.hpp"
#include "zerotask/node.hpp"

namespace zerotask::node_impl {

// One task to run. `function` points into the Dispatcher, which outlives the pool.
struct Job {
  std::string id;
  int attempt = 0;
  const TaskFunction* function = nullptr;
  json params;
  std::uint64_t generation = 0;  // copied to the TaskResult
};

class WorkerPool {
 public:
  WorkerPool(unsigned threads, Outbox& outbox);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues the jobs (moving them out of `jobs`) and wakes as many workers.
  void submit(std::span<Job> jobs);
  // Drops the jobs no worker has started; returns how many were dropped.
  std::size_t discard_queued();
  // Fires the stop token every function sees (TaskContext::stop_token()).
  void request_stop() { stop_source_.request_stop(); }

  unsigned threads() const { return static_cast<unsigned>(threads_.size()); }

 private:
  void work();
  bool pop(Job& job);

  Outbox& outbox_;
  std::stop_source stop_source_;
  std::mutex mutex_;
  std::condition_variable ready_;
  // A vector consumed from head_, so a steady stream of jobs reuses its capacity
  // instead of allocating as a deque would.
  std::vector<Job> queue_;
  std::size_t head_ = 0;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace zerotask::node_impl

// WorkerPool: the threads that run a node's functions.
//
// The I/O thread submits jobs; a condition variable hands them to idle workers; each
// worker runs one job at a time through call_function() and pushes its result (and any
// progress and partial results the function reports) to the Outbox. Workers never
// touch a socket.
//
// Each job's function sees the token of the job's TaskStop, which the pool's stop
// fires, the pool's TaskTimer fires at the job's deadline (jobs with a timeout only)
// and the I/O thread fires on node.cancel. The first of the cancel and the deadline
// replaces the function's result with the cancelled or timed_out error; a job
// cancelled before a worker takes it is reported cancelled without being started.
//
// submit(), discard_queued() and request_stop() belong to the I/O thread (they are
// thread-safe, but the node's bookkeeping of what is outstanding assumes one
// caller). The destructor drops queued jobs, fires the stop token and joins: it
// returns when every running function has returned.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "outbox.hpp"
#include "task_stop.hpp"
#include "task_timer.hpp"
#include "zerotask/node.hpp"

namespace zerotask::node_impl {

// One task to run. `function` points into the Dispatcher, which outlives the pool.
struct Job {
  std::string id;
  int attempt = 0;
  const TaskFunction* function = nullptr;
  json params;
  std::chrono::milliseconds timeout{0};  // from the start of the call; 0: none
  std::size_t ticket = 0;                // copied to the TaskResult
  std::shared_ptr<TaskStop> stop;        // never null; shared with the I/O thread, which cancels it
};

class WorkerPool {
 public:
  WorkerPool(unsigned threads, Outbox& outbox);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues the jobs (moving them out of `jobs`) and wakes as many workers.
  void submit(std::span<Job> jobs);
  // Moves the jobs no worker has started to the end of `dropped`.
  void discard_queued(std::vector<Job>& dropped);
  // Fires the stop token every function sees (TaskContext::stop_token()).
  void request_stop() { stop_source_.request_stop(); }

  unsigned threads() const { return static_cast<unsigned>(threads_.size()); }

 private:
  void work();
  bool pop(Job& job);
  Outcome run(const Job& job);

  Outbox& outbox_;
  std::stop_source stop_source_;
  TaskTimer timer_;
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

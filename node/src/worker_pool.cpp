#include "worker_pool.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <optional>
#include <utility>

#include "dispatcher.hpp"

namespace zerotask::node_impl {
namespace {

// The TaskContext of one running job: lives on the worker's stack for the call.
class WorkerContext final : public TaskContext {
 public:
  WorkerContext(const Job& job, Outbox& outbox, std::stop_token token)
      : job_(job), outbox_(outbox), token_(std::move(token)) {}

  using TaskContext::report_progress;

  const std::string& task_id() const override { return job_.id; }
  int attempt() const override { return job_.attempt; }
  void report_progress(json progress) override {
    outbox_.push_progress(job_.id, job_.attempt, std::move(progress), ticket_);
  }
  void report_partial(json partial) override { outbox_.push_partial(job_.id, job_.attempt, std::move(partial)); }
  std::stop_token stop_token() const override { return token_; }

 private:
  const Job& job_;
  Outbox& outbox_;
  std::stop_token token_;
  ProgressTicket ticket_;
};

}  // namespace

WorkerPool::WorkerPool(unsigned threads, Outbox& outbox) : outbox_(outbox) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    queue_.clear();
    head_ = 0;
  }
  stop_source_.request_stop();
  ready_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void WorkerPool::submit(std::span<Job> jobs) {
  if (jobs.empty()) return;
  {
    std::lock_guard lock(mutex_);
    // Compact once the consumed prefix is at least half the vector: amortized O(1)
    // per job, and the vector never grows past twice the jobs waiting.
    if (head_ > 0 && head_ * 2 >= queue_.size()) {
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    std::move(jobs.begin(), jobs.end(), std::back_inserter(queue_));
  }
  if (jobs.size() >= threads_.size()) {
    ready_.notify_all();
  } else {
    for (std::size_t i = 0; i < jobs.size(); ++i) ready_.notify_one();
  }
}

void WorkerPool::discard_queued(std::vector<Job>& dropped) {
  std::lock_guard lock(mutex_);
  std::move(queue_.begin() + static_cast<std::ptrdiff_t>(head_), queue_.end(), std::back_inserter(dropped));
  queue_.clear();
  head_ = 0;
}

bool WorkerPool::pop(Job& job) {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [this] { return closing_ || head_ < queue_.size(); });
  if (closing_) return false;
  job = std::move(queue_[head_++]);
  if (head_ == queue_.size()) {
    queue_.clear();
    head_ = 0;
  }
  return true;
}

void WorkerPool::work() {
  Job job;
  while (pop(job)) {
    Outcome outcome = run(job);
    outbox_.push_result(TaskResult{std::move(job.id), job.attempt, std::move(outcome), job.ticket});
    // Frees the params (and lets go of the stop) now rather than when the next job
    // overwrites them.
    job.params = nullptr;
    job.stop.reset();
  }
}

Outcome WorkerPool::run(const Job& job) {
  TaskStop& stop = *job.stop;
  // Cancelled while it waited for a worker: not started at all.
  if (stop.cancelled()) return Outcome{nullptr, cancelled()};
  // The node stopping past its grace period stops every running function.
  std::stop_callback pool_stop(stop_source_.get_token(), [&stop] { stop.request_stop(); });
  std::optional<TaskStop::Clock::time_point> deadline;
  std::optional<TaskTimer::Key> timer;
  if (job.timeout.count() > 0) {
    deadline = TaskStop::Clock::now() + job.timeout;
    timer = timer_.arm(*deadline, stop.source());
  }
  WorkerContext context(job, outbox_, stop.token());
  Outcome outcome = call_function(*job.function, job.params, context);
  if (timer) timer_.disarm(*timer);
  switch (stop.cause(deadline, TaskStop::Clock::now())) {
    case StopCause::Cancelled: return Outcome{nullptr, cancelled()};
    case StopCause::TimedOut: return Outcome{nullptr, timed_out(job.timeout)};
    case StopCause::None: break;
  }
  return outcome;
}

}  // namespace zerotask::node_impl

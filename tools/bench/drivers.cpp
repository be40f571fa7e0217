#include "drivers.hpp"

#include <limits>
#include <stdexcept>

#include "durations.hpp"
#include "workload.hpp"

namespace zerotask::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Checks the answers to requests 0..count-1.
class AnswerCheck {
 public:
  explicit AnswerCheck(std::size_t count) : answered_(count, false) {}

  // Takes one answer; throws on a message that answers none of the outstanding requests.
  void take(std::string_view body, const ResultSink& sink) {
    json answer = json::parse(body, nullptr, false);
    auto id = answer.is_object() ? answer.find("id") : answer.end();
    if (id == answer.end() || !id->is_number_unsigned() || id->get<std::uint64_t>() >= answered_.size() ||
        answered_[id->get<std::uint64_t>()]) {
      throw std::runtime_error("unexpected message: " + std::string(body.substr(0, 300)));
    }
    std::uint64_t k = id->get<std::uint64_t>();
    answered_[k] = true;
    ++answers_;
    if (auto result = answer.find("result"); result != answer.end()) {
      if (sink) sink(k, *result);
      return;
    }
    if (errors_++ == 0) first_error_ = std::string(body.substr(0, 300));
  }

  std::size_t answers() const { return answers_; }

  void require_no_errors() const {
    if (errors_ == 0) return;
    throw std::runtime_error(std::to_string(errors_) + " of " + std::to_string(answered_.size()) +
                             " requests answered with an error; the first: " + first_error_);
  }

 private:
  std::vector<bool> answered_;
  std::size_t answers_ = 0;
  std::size_t errors_ = 0;
  std::string first_error_;
};

[[noreturn]] void stalled(const RpcConnection& connection, std::size_t answers, std::size_t count) {
  throw std::runtime_error("no answer from " + connection.endpoint() + " for " +
                           std::to_string(kStallTimeout.count() / 1000) + " s (" + std::to_string(answers) + " of " +
                           std::to_string(count) + " requests answered)");
}

// The requests of run_batches: each a batch's submission or a wait for one of its
// tasks, answered once.
class BatchRequests {
 public:
  static constexpr std::size_t kSubmission = std::numeric_limits<std::size_t>::max();

  struct Request {
    std::size_t batch;
    std::size_t index;  // of the task waited for; kSubmission for the batch's submission
    std::string task_id;
  };

  // Returns the new request's id.
  std::uint64_t add(std::size_t batch, std::size_t index, std::string task_id = {}) {
    requests_.push_back({batch, index, std::move(task_id)});
    answered_.push_back(false);
    return requests_.size() - 1;
  }

  // The request `answer` answers (parsed), marked answered; throws on a message
  // that answers none of the outstanding requests.
  Request take(const json& answer, std::string_view body) {
    auto id = answer.is_object() ? answer.find("id") : answer.end();
    if (id == answer.end() || !id->is_number_unsigned() || id->get<std::uint64_t>() >= requests_.size() ||
        answered_[id->get<std::uint64_t>()]) {
      throw std::runtime_error("unexpected message: " + std::string(body.substr(0, 300)));
    }
    std::uint64_t k = id->get<std::uint64_t>();
    answered_[k] = true;
    return requests_[k];
  }

 private:
  std::vector<Request> requests_;
  std::vector<bool> answered_;
};

bool is_final(const std::string& state) {
  return state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED";
}

}  // namespace

std::chrono::nanoseconds run_pipelined(RpcConnection& connection, std::size_t count, std::size_t window,
                                       const RequestText& request, const ResultSink& sink) {
  AnswerCheck check(count);
  zmq::message_t body;
  std::size_t sent = 0;
  auto start = Clock::now();
  while (check.answers() < count) {
    while (sent < count && sent - check.answers() < window) connection.send(request(sent++));
    if (!connection.receive(body, kStallTimeout)) stalled(connection, check.answers(), count);
    // Take everything that is already here before refilling the window.
    do {
      check.take(body.to_string_view(), sink);
    } while (check.answers() < count && connection.receive(body, std::chrono::milliseconds(0)));
  }
  auto elapsed = Clock::now() - start;
  check.require_no_errors();
  return elapsed;
}

std::vector<std::chrono::nanoseconds> run_sequential(RpcConnection& connection, std::size_t count,
                                                     const RequestText& request) {
  AnswerCheck check(count);
  std::vector<std::chrono::nanoseconds> round_trips;
  round_trips.reserve(count);
  zmq::message_t body;
  for (std::size_t k = 0; k < count; ++k) {
    std::string text = request(k);
    auto start = Clock::now();
    connection.send(text);
    if (!connection.receive(body, kStallTimeout)) stalled(connection, k, count);
    round_trips.push_back(Clock::now() - start);
    check.take(body.to_string_view(), {});
  }
  check.require_no_errors();
  return round_trips;
}

std::chrono::nanoseconds run_notifications(RpcConnection& connection, std::size_t count, std::string_view notification,
                                           const std::function<void()>& wait_done) {
  auto start = Clock::now();
  for (std::size_t k = 0; k < count; ++k) connection.send(notification);
  wait_done();
  return Clock::now() - start;
}

std::chrono::nanoseconds run_batches(RpcConnection& connection, std::size_t count, std::size_t batch_size,
                                     std::size_t window, std::uint64_t wait_timeout_ms, const BatchText& submit,
                                     const TaskCheck& check) {
  BatchRequests requests;
  // Tasks of each batch not seen ended yet.
  std::vector<std::size_t> unfinished(count, batch_size);
  std::size_t sent = 0;
  std::size_t finished = 0;
  zmq::message_t body;
  auto start = Clock::now();
  while (finished < count) {
    while (sent < count && sent - finished < window) {
      std::uint64_t id = requests.add(sent, BatchRequests::kSubmission);
      connection.send(submit(id, sent++));
    }
    if (!connection.receive(body, kStallTimeout)) {
      throw std::runtime_error("no answer from " + connection.endpoint() + " for " +
                               std::to_string(kStallTimeout.count() / 1000) + " s (" + std::to_string(finished) +
                               " of " + std::to_string(count) + " batches finished)");
    }
    // Take everything that is already here before refilling the window.
    do {
      json answer = json::parse(body.to_string_view(), nullptr, false);
      auto request = requests.take(answer, body.to_string_view());
      auto result = answer.find("result");
      if (result == answer.end()) {
        std::string what = request.index == BatchRequests::kSubmission
                               ? "task.submit_many of batch " + std::to_string(request.batch)
                               : "task.wait of task " + request.task_id;
        throw std::runtime_error(what +
                                 " answered with an error: " + std::string(body.to_string_view().substr(0, 300)));
      }
      if (request.index == BatchRequests::kSubmission) {
        const json& ids = result->at("ids");
        if (ids.size() != batch_size) {
          throw std::runtime_error("batch " + std::to_string(request.batch) + ": " + std::to_string(ids.size()) +
                                   " task ids for " + std::to_string(batch_size) + " tasks");
        }
        for (std::size_t index = 0; index < ids.size(); ++index) {
          const auto& task_id = ids[index].get_ref<const std::string&>();
          std::uint64_t id = requests.add(request.batch, index, task_id);
          connection.send(wait_task(id, task_id, wait_timeout_ms));
        }
        continue;
      }
      std::string state = result->value("state", "");
      if (state != "SUCCEEDED") {
        throw std::runtime_error(
            "task " + request.task_id + " (batch " + std::to_string(request.batch) + ", entry " +
            std::to_string(request.index) + ") " +
            (is_final(state) ? "ended " : "was not final after " + std::to_string(wait_timeout_ms) + " ms: ") +
            rpc::to_text(*result).substr(0, 300));
      }
      check(request.batch, request.index, *result);
      if (--unfinished[request.batch] == 0) ++finished;
    } while (finished < count && connection.receive(body, std::chrono::milliseconds(0)));
  }
  return Clock::now() - start;
}

}  // namespace zerotask::bench

#include "drivers.hpp"

#include <stdexcept>

namespace zerotask::bench {
namespace {

using Clock = std::chrono::steady_clock;

// How long a driver waits without any answer before it gives up.
constexpr std::chrono::milliseconds kStallTimeout{30000};

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

}  // namespace zerotask::bench

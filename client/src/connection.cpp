#include "connection.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdio>
#include <optional>
#include <random>
#include <stdexcept>
#include <utility>

#include "io_loop.hpp"
#include "zerotask/endpoint.hpp"
#include "zerotask/errors.hpp"
#include "zerotask/log.hpp"

namespace zerotask::detail {
namespace {

constexpr std::chrono::milliseconds kLongestWait = std::chrono::hours(24 * 365);

// Keys must not collide with those of other clients of the same broker, including
// earlier runs of this program: hence random, not a process id or a time.
std::string random_key_prefix() {
  std::random_device device;
  auto value = (static_cast<unsigned long long>(device()) << 32) | device();
  std::array<char, 18> text{};
  std::snprintf(text.data(), text.size(), "%016llx-", value);
  return text.data();
}

// One blocking request's outcome, handed from the I/O thread to the waiting caller.
class ReplySlot {
 public:
  void set(Outcome&& outcome) {
    {
      std::lock_guard lock(mutex_);
      outcome_ = std::move(outcome);
    }
    ready_.notify_one();
  }

  Outcome take() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return outcome_.has_value(); });
    return std::move(*outcome_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<Outcome> outcome_;
};

}  // namespace

Clock::time_point deadline_after(Clock::time_point now, std::chrono::milliseconds timeout) {
  return now + std::min(timeout, kLongestWait);
}

Connection::Connection(std::string broker_endpoint, ClientOptions options)
    : broker_endpoint_(connectable_endpoint(broker_endpoint)),
      options_(std::move(options)),
      key_prefix_(random_key_prefix()) {
  if (options_.connect_timeout.count() <= 0) throw std::invalid_argument("connect_timeout must be positive");
  if (options_.call_timeout.count() <= 0) throw std::invalid_argument("call_timeout must be positive");
  options_.event_endpoint = options_.event_endpoint.empty() ? default_event_endpoint(broker_endpoint_).value_or("")
                                                            : connectable_endpoint(options_.event_endpoint);
  std::promise<void> ready;
  std::future<void> started = ready.get_future();
  thread_ = std::thread([this, &ready] { run(ready); });
  try {
    started.get();
  } catch (...) {
    thread_.join();
    throw;
  }
}

Connection::~Connection() {
  close();
}

void Connection::close() {
  {
    std::lock_guard lock(queue_mutex_);
    closing_ = true;
  }
  wakeup_.notify();
  if (thread_.joinable()) thread_.join();
  io_thread_id_.store(std::thread::id(), std::memory_order_release);
}

void Connection::run(std::promise<void>& ready) {
  std::optional<IoLoop> loop;
  try {
    loop.emplace(context_,
                 IoLoop::Settings{broker_endpoint_, options_.event_endpoint, options_.connect_timeout, options_.curve});
  } catch (...) {
    ready.set_exception(std::current_exception());
    return;
  }
  loop_ = &*loop;
  io_thread_id_.store(std::this_thread::get_id(), std::memory_order_release);
  ready.set_value();

  std::vector<Command> batch;
  bool closing = false;
  while (!closing) {
    bool woken = false;
    try {
      woken = loop->poll_once(wakeup_.fd());
    } catch (const std::exception& error) {
      log(LogLevel::Error, "client", std::string("I/O loop: ") + error.what());
    }
    if (!woken) continue;
    // Cleared before the queue is taken, so a command queued after the swap
    // raises the wake-up again.
    wakeup_.clear();
    {
      std::lock_guard lock(queue_mutex_);
      batch.swap(commands_);
      closing = closing_;
    }
    for (Command& command : batch) {
      if (auto* request = std::get_if<OutgoingRequest>(&command)) {
        loop->dispatch(std::move(*request));
      } else {
        loop->watch(std::get<EventWatch>(std::move(command)));
      }
    }
    batch.clear();
  }
  loop->close("client closed");
  loop_ = nullptr;
}

bool Connection::post(Command& command) {
  bool was_empty = false;
  {
    std::lock_guard lock(queue_mutex_);
    if (closing_) return false;
    was_empty = commands_.empty();
    commands_.push_back(std::move(command));
  }
  // Only the first command of a batch needs to wake the I/O thread.
  if (was_empty) wakeup_.notify();
  return true;
}

OutgoingRequest Connection::make_request(std::string_view method, json params, std::chrono::milliseconds timeout,
                                         Completion done) {
  OutgoingRequest request;
  request.id = next_id_.fetch_add(1, std::memory_order_relaxed);
  // A direct call carries no idempotency key: sending it again could run it twice.
  request.resendable = rpc::is_reserved_method(method);
  add_idempotency_keys(method, params);
  json message = json::object();
  message["jsonrpc"] = "2.0";
  message["id"] = request.id;
  message["method"] = method;
  if (!params.is_null()) message["params"] = std::move(params);
  // Encoded here, on the caller's thread, to keep the I/O thread free for the sockets.
  request.body = rpc::to_text(message);
  request.timeout = timeout.count() > 0 ? timeout : options_.call_timeout;
  request.done = std::move(done);
  return request;
}

void Connection::add_idempotency_keys(std::string_view method, json& params) {
  auto add_key = [this](json& submission) {
    if (submission.is_object() && !submission.contains("idempotency_key")) {
      submission["idempotency_key"] = key_prefix_ + std::to_string(next_key_.fetch_add(1, std::memory_order_relaxed));
    }
  };
  if (method == "task.submit") {
    add_key(params);
  } else if (method == "task.submit_many" && params.is_object()) {
    auto tasks = params.find("tasks");
    if (tasks != params.end() && tasks->is_array()) {
      for (json& submission : *tasks) add_key(submission);
    }
  }
}

void Connection::send(OutgoingRequest&& request) {
  if (on_io_thread()) {
    loop_->dispatch(std::move(request));
    return;
  }
  Command command(std::in_place_type<OutgoingRequest>, std::move(request));
  if (!post(command)) std::get<OutgoingRequest>(command).done(Outcome::unreachable("client closed"));
}

Outcome Connection::send_and_wait(std::string_view method, json params, std::chrono::milliseconds timeout) {
  if (on_io_thread()) {
    throw std::logic_error(
        "a blocking client call from the client's own I/O thread (an event callback) would "
        "never return");
  }
  auto slot = std::make_shared<ReplySlot>();
  send(make_request(method, std::move(params), timeout, [slot](Outcome&& outcome) { slot->set(std::move(outcome)); }));
  return slot->take();
}

void Connection::watch_events(std::shared_ptr<FutureState> state, EventCallback callback) {
  if (options_.event_endpoint.empty()) {
    throw std::invalid_argument("no event endpoint goes with " + broker_endpoint_ +
                                "; set ClientOptions::event_endpoint");
  }
  if (on_io_thread()) {
    loop_->watch(EventWatch{std::move(state), std::move(callback)});
    return;
  }
  Command command(EventWatch{std::move(state), std::move(callback)});
  if (!post(command)) throw BrokerUnreachable(kNoProtocolCode, "client closed");
}

void Connection::start_events(const std::shared_ptr<FutureState>& state) {
  if (on_io_thread()) loop_->start_events(state);
}

void Connection::stop_events(const std::shared_ptr<FutureState>& state) {
  if (on_io_thread()) loop_->stop_events(state);
}

}  // namespace zerotask::detail

#include "http/webhook_sender.hpp"

#include <httplib.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "webhook_url.hpp"
#include "zerotask/json_rpc.hpp"
#include "zerotask/log.hpp"
#include "zerotask/version.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask::broker {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kDeliveryThreads = 4;
// Deliveries held at once (waiting or being POSTed); the rest wait in the broker.
constexpr std::size_t kMaxHeld = 1000;
constexpr std::size_t kTakeLimit = 100;
// After the broker refused a take (it is stopping), the next one waits this long.
constexpr std::chrono::milliseconds kTakeRetry{1000};

std::string as_text(std::chrono::milliseconds wait) {
  return std::to_string(wait.count()) + " ms";
}

}  // namespace

std::chrono::milliseconds webhook_backoff(std::chrono::milliseconds base, int failed) {
  auto wait = base;
  for (int i = 1; i < failed && wait < kMaxWebhookBackoff; ++i) wait *= 2;
  return std::min(wait, kMaxWebhookBackoff);
}

class WebhookSender::Impl {
 public:
  Impl(zmq::context_t& context, std::string endpoint, WebhookOptions options)
      : context_(context), endpoint_(std::move(endpoint)), options_(options) {
    coordinator_ = std::thread([this] { coordinate(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (httplib::Client* client : posting_) client->stop();
    }
    changed_.notify_all();
    wakeup_.notify();
    coordinator_.join();
    for (auto& worker : workers_) worker.join();
  }

 private:
  struct Delivery {
    std::string id;
    std::int64_t ended_at = 0;
    std::string url;
    WebhookUrl target;
    std::string body;
    int attempts = 0;  // POSTs made so far
  };

  struct Outcome {
    std::string id;
    std::int64_t ended_at = 0;
    bool delivered = false;
  };

  // The coordinator: the thread of the DEALER.
  void coordinate();
  void serve();
  // Sends the outcomes reported since the last call (those the socket cannot take now, later).
  void report(zmq::socket_t& socket);
  void take(const json& result);
  // A delivery thread.
  void deliver();
  // One POST; the reason when it fails.
  std::optional<std::string> post(const Delivery& delivery);

  zmq::context_t& context_;
  const std::string endpoint_;
  const WebhookOptions options_;
  Wakeup wakeup_;  // outcomes to report, or stop

  std::mutex mutex_;
  std::condition_variable changed_;                 // a delivery is due sooner, or stop
  std::multimap<Clock::time_point, Delivery> due_;  // guarded by mutex_
  std::size_t posting_count_ = 0;                   // guarded: deliveries being POSTed
  std::vector<Outcome> outcomes_;                   // guarded: to report
  std::set<httplib::Client*> posting_;              // guarded: clients with a POST in flight, stopped at exit
  bool stopping_ = false;                           // guarded

  std::vector<std::thread> workers_;  // started by the coordinator, joined by the destructor after it
  std::thread coordinator_;
};

void WebhookSender::Impl::coordinate() {
  try {
    serve();
  } catch (const std::exception& error) {
    // Nothing is lost: the deliveries stay pending in the store until the next start.
    log(LogLevel::Error, "webhook", std::string("the webhook sender stopped: ") + error.what());
  }
}

void WebhookSender::Impl::serve() {
  zmq::socket_t socket(context_, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(endpoint_);
  std::int64_t next_id = 1;
  std::int64_t taking = 0;  // the id of the broker.webhooks.take waiting for an answer; 0: none
  auto next_take = Clock::now();
  std::vector<zmq::pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, wakeup_.fd(), ZMQ_POLLIN, 0}};
  while (true) {
    bool room;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      room = due_.size() + posting_count_ < kMaxHeld;
    }
    auto now = Clock::now();
    if (taking == 0 && room && now >= next_take) {
      json request = {
          {"jsonrpc", "2.0"}, {"id", next_id}, {"method", "broker.webhooks.take"}, {"params", {{"limit", kTakeLimit}}}};
      if (socket.send(zmq::buffer(rpc::to_text(request)), zmq::send_flags::dontwait)) {
        taking = next_id++;
      } else {
        next_take = now + kTakeRetry;
      }
    }
    auto wait = std::chrono::milliseconds(1000);
    if (taking == 0 && room)
      wait = std::max(std::chrono::ceil<std::chrono::milliseconds>(next_take - now), wait.zero());
    try {
      zmq::poll(items, wait);
    } catch (const zmq::error_t& error) {
      if (error.num() != EINTR) throw;
    }
    if (items[1].revents & ZMQ_POLLIN) {
      wakeup_.clear();
      report(socket);
    }
    zmq::message_t reply;
    while (socket.recv(reply, zmq::recv_flags::dontwait)) {
      json response = json::parse(reply.to_string_view(), nullptr, false);
      if (!response.is_object() || taking == 0 || response.value("id", json()) != taking) continue;
      taking = 0;
      if (auto result = response.find("result"); result != response.end()) {
        take(*result);
      } else {
        next_take = Clock::now() + kTakeRetry;
      }
    }
  }
}

void WebhookSender::Impl::report(zmq::socket_t& socket) {
  std::vector<Outcome> outcomes;
  {
    std::lock_guard lock(mutex_);
    outcomes.swap(outcomes_);
  }
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const Outcome& outcome = outcomes[i];
    json done = {{"jsonrpc", "2.0"},
                 {"method", "broker.webhooks.done"},
                 {"params", {{"id", outcome.id}, {"ended_at", outcome.ended_at}, {"delivered", outcome.delivered}}}};
    if (!socket.send(zmq::buffer(rpc::to_text(done)), zmq::send_flags::dontwait)) {
      // The pipe to the loop is full: the rest goes with the next wake-up.
      std::lock_guard lock(mutex_);
      outcomes_.insert(outcomes_.end(), outcomes.begin() + static_cast<std::ptrdiff_t>(i), outcomes.end());
      wakeup_.notify();
      return;
    }
  }
}

void WebhookSender::Impl::take(const json& result) {
  auto deliveries = result.find("deliveries");
  if (deliveries == result.end() || !deliveries->is_array() || deliveries->empty()) return;
  std::vector<Delivery> taken;
  for (const auto& entry : *deliveries) {
    Delivery delivery;
    delivery.id = entry.value("id", "");
    delivery.ended_at = entry.value("ended_at", std::int64_t{0});
    delivery.url = entry.value("url", "");
    auto target = parse_webhook_url(delivery.url);
    if (!target || delivery.id.empty()) {
      log(LogLevel::Warn, "webhook", "ignored a malformed delivery from the broker: " + rpc::to_text(entry));
      continue;
    }
    delivery.target = std::move(*target);
    delivery.body = rpc::to_text(entry.value("body", json::object()));
    taken.push_back(std::move(delivery));
  }
  {
    std::lock_guard lock(mutex_);
    auto now = Clock::now();
    for (auto& delivery : taken) due_.emplace(now, std::move(delivery));
  }
  changed_.notify_all();
  while (workers_.size() < kDeliveryThreads) workers_.emplace_back([this] { deliver(); });
}

void WebhookSender::Impl::deliver() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (due_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto first = due_.begin();
    if (first->first > Clock::now()) {
      // A copy: another delivery thread may take (erase) this entry while we wait.
      const auto due = first->first;
      changed_.wait_until(lock, due);
      continue;
    }
    Delivery delivery = std::move(first->second);
    due_.erase(first);
    ++posting_count_;
    lock.unlock();
    std::optional<std::string> failure;
    try {
      failure = post(delivery);
    } catch (const std::exception& error) {
      failure = error.what();
    }
    lock.lock();
    --posting_count_;
    if (stopping_) return;  // interrupted: the delivery stays pending in the store
    ++delivery.attempts;
    if (!failure) {
      outcomes_.push_back(Outcome{std::move(delivery.id), delivery.ended_at, true});
      wakeup_.notify();
      continue;
    }
    std::string what = "callback of task " + delivery.id + " to " + delivery.url + " failed (" + *failure +
                       "), attempt " + std::to_string(delivery.attempts) + " of " + std::to_string(options_.attempts);
    if (delivery.attempts >= options_.attempts) {
      log(LogLevel::Warn, "webhook", what + "; given up");
      outcomes_.push_back(Outcome{std::move(delivery.id), delivery.ended_at, false});
      wakeup_.notify();
      continue;
    }
    auto wait = webhook_backoff(options_.backoff, delivery.attempts);
    log(LogLevel::Info, "webhook", what + "; next attempt in " + as_text(wait));
    due_.emplace(Clock::now() + wait, std::move(delivery));
  }
}

std::optional<std::string> WebhookSender::Impl::post(const Delivery& delivery) {
  httplib::Client client(delivery.target.origin);
  client.set_connection_timeout(options_.timeout);
  client.set_read_timeout(options_.timeout);
  client.set_write_timeout(options_.timeout);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return "the broker is stopping";
    posting_.insert(&client);
  }
  httplib::Request request;
  request.method = "POST";
  request.path = delivery.target.target;
  request.headers = {{"User-Agent", "zerotask/" + std::string(zerotask::version())},
                     {"Content-Type", "application/json"}};
  request.body = delivery.body;
  // Only the status matters: the receiver's body is never read (the handler stops
  // the exchange after the headers), so an endless or compressed answer cannot grow
  // the broker's memory. httplib sets the status before, and calls no handler for a 204.
  request.response_handler = [](const httplib::Response&) { return false; };
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  client.send(request, response, error);
  {
    std::lock_guard lock(mutex_);
    posting_.erase(&client);
  }
  const int status = response.status;
  if (status <= 0) return httplib::to_string(error);
  if (status < 200 || status > 299) return "HTTP status " + std::to_string(status);
  return std::nullopt;
}

WebhookSender::WebhookSender(zmq::context_t& context, std::string request_endpoint, WebhookOptions options)
    : impl_(std::make_unique<Impl>(context, std::move(request_endpoint), options)) {}

WebhookSender::~WebhookSender() = default;

}  // namespace zerotask::broker

#include "io_loop.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "zerotask/log.hpp"
#include "zerotask/socket_options.hpp"

namespace zerotask::detail {
namespace {

// A succeeded handshake, not a mere TCP connection, is what lets requests through:
// a port held by something that is not a broker must count as unreachable.
constexpr int kMonitorEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
// Messages read from one socket per turn, so that no socket starves the others.
constexpr int kReadBudget = 1024;
// The longest single poll; deadlines further away are reached in several turns.
constexpr std::chrono::milliseconds kMaxPollWait{3'600'000};
constexpr std::size_t kMaxEventDepth = 64;

std::string monitor_endpoint() {
  static std::atomic<std::uint64_t> counter{0};
  return "inproc://zerotask-client-monitor-" + std::to_string(counter.fetch_add(1) + 1);
}

void log_warning(const std::string& message) {
  log(LogLevel::Warn, "client", message);
}

bool is_broker_stopping(const std::optional<rpc::Error>& error) {
  return error && error->code == rpc::kInternalError && error->data.is_object() &&
         error->data.value("type", "") == rpc::kBrokerStoppingType;
}

}  // namespace

IoLoop::IoLoop(zmq::context_t& context, Settings settings)
    : context_(context),
      settings_(std::move(settings)),
      dealer_(context, zmq::socket_type::dealer),
      monitor_(context, zmq::socket_type::pair),
      monitored_(!settings_.broker_endpoint.starts_with("inproc://")),
      connected_(!monitored_),
      disconnected_since_(Clock::now()) {
  apply_socket_limits(dealer_, SocketLimits{});
  if (settings_.curve) apply_curve_client(dealer_, *settings_.curve);
  dealer_.set(zmq::sockopt::immediate, 1);
  monitor_.set(zmq::sockopt::linger, 0);
  if (monitored_) {
    // The PAIR connects before the DEALER does: the monitor drops events sent
    // while it has no peer, and the first handshake must not be missed.
    std::string address = monitor_endpoint();
    if (zmq_socket_monitor(dealer_.handle(), address.c_str(), kMonitorEvents) != 0) throw zmq::error_t();
    monitor_.connect(address);
  }
  try {
    dealer_.connect(settings_.broker_endpoint);
  } catch (const zmq::error_t& error) {
    throw std::invalid_argument("cannot connect to '" + settings_.broker_endpoint + "': " + error.what());
  }
}

IoLoop::~IoLoop() {
  if (monitored_) zmq_socket_monitor(dealer_.handle(), nullptr, 0);
}

void IoLoop::dispatch(OutgoingRequest&& request) {
  if (closed_) {
    request.done(Outcome::unreachable(closed_message_));
    return;
  }
  Clock::time_point now = Clock::now();
  Clock::time_point deadline = deadline_after(now, request.timeout);
  Pending pending{std::move(request.body), std::move(request.done), now, deadline, false, request.resendable};
  auto it = pending_.emplace(request.id, std::move(pending)).first;
  push_deadline(deadline, request.id);
  // Order is kept: nothing overtakes a request that is waiting for the socket.
  if (!connected_ || !unsent_.empty() || !transmit(it->second)) unsent_.push_back(request.id);
}

bool IoLoop::transmit(Pending& pending) {
  if (!dealer_.send(zmq::buffer(pending.body), zmq::send_flags::dontwait)) return false;
  pending.transmitted = true;
  if (!pending.resendable) std::string().swap(pending.body);
  return true;
}

void IoLoop::transmit_unsent() {
  // After a disconnection ZeroMQ may still take messages into the dead connection's
  // pipe for a moment, where they would be lost: wait for the next handshake.
  if (!connected_) return;
  while (!unsent_.empty()) {
    auto it = pending_.find(unsent_.front());
    if (it != pending_.end() && !it->second.transmitted && !transmit(it->second)) return;
    unsent_.pop_front();
  }
}

void IoLoop::complete(PendingMap::iterator it, Outcome&& outcome) {
  Completion done = std::move(it->second.done);
  pending_.erase(it);
  done(std::move(outcome));
}

void IoLoop::push_deadline(Clock::time_point deadline, std::uint64_t id) {
  deadlines_.emplace_back(deadline, id);
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
  // Answered requests leave their entry behind until its deadline; once such
  // entries are most of the heap, rebuild it from the requests still pending.
  if (deadlines_.size() > 2 * pending_.size() + 1024) {
    deadlines_.clear();
    for (const auto& [pending_id, pending] : pending_) deadlines_.emplace_back(pending.deadline, pending_id);
    std::make_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
  }
}

bool IoLoop::poll_once(int wake_fd) {
  std::array<zmq::pollitem_t, 4> items{};
  std::size_t count = 0;
  const std::size_t dealer_item = count++;
  const bool can_send = connected_ && !unsent_.empty();
  items[dealer_item] = {dealer_.handle(), 0, static_cast<short>(ZMQ_POLLIN | (can_send ? ZMQ_POLLOUT : 0)), 0};
  const std::size_t wake_item = count++;
  items[wake_item] = {nullptr, wake_fd, ZMQ_POLLIN, 0};
  const std::size_t monitor_item = monitored_ ? count++ : items.size();
  if (monitored_) items[monitor_item] = {monitor_.handle(), 0, ZMQ_POLLIN, 0};
  const std::size_t sub_item = sub_ ? count++ : items.size();
  if (sub_) items[sub_item] = {sub_->handle(), 0, ZMQ_POLLIN, 0};

  std::chrono::milliseconds timeout{-1};
  if (auto next = next_wakeup()) {
    timeout = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now());
    timeout = std::clamp(timeout, std::chrono::milliseconds(0), kMaxPollWait);
  }
  try {
    zmq::poll(items.data(), count, timeout);
  } catch (const zmq::error_t& error) {
    if (error.num() == EINTR) return false;
    throw;
  }

  auto ready = [&items](std::size_t item) { return item < items.size() && (items[item].revents & ZMQ_POLLIN); };
  if (ready(dealer_item)) read_replies(false);
  if (ready(monitor_item)) read_monitor();
  if (ready(sub_item)) read_events();
  if (!unsent_.empty()) transmit_unsent();
  Clock::time_point now = Clock::now();
  expire_deadlines(now);
  fail_unreachable(now);
  return ready(wake_item);
}

void IoLoop::read_replies(bool drain_all) {
  zmq::message_t message;
  for (int budget = kReadBudget; drain_all || budget > 0; --budget) {
    if (!dealer_.recv(message, zmq::recv_flags::dontwait)) return;
    // The body is the last frame (the broker echoes any envelope in front of it).
    while (message.more()) {
      if (!dealer_.recv(message, zmq::recv_flags::dontwait)) return;
    }
    handle_reply(message.to_string_view());
  }
}

void IoLoop::handle_reply(std::string_view body) {
  rpc::Frame frame = rpc::decode(body);
  if (frame.error) {
    log_warning("unreadable answer from the broker: " + frame.error->message);
    return;
  }
  for (rpc::Message& message : frame.messages) {
    auto* response = std::get_if<rpc::Response>(&message);
    if (response == nullptr) {
      log_warning("the broker sent something that is not a JSON-RPC response");
      continue;
    }
    if (!response->id.is_number_unsigned()) {
      // An error with a null id: the broker could not read one of our requests,
      // which then ends at its deadline.
      if (response->error) log_warning("the broker could not read a request: " + response->error->message);
      continue;
    }
    auto it = pending_.find(response->id.get<std::uint64_t>());
    // Not pending: answered after its deadline, or failed when its connection dropped.
    if (it == pending_.end()) continue;
    if (it->second.resendable && is_broker_stopping(response->error)) {
      it->second.transmitted = false;
      held_for_restart_.push_back(it->first);
      continue;
    }
    if (response->result) {
      complete(it, Outcome::success(std::move(*response->result)));
    } else {
      complete(it, Outcome::rpc_error(std::move(*response->error)));
    }
  }
}

void IoLoop::read_monitor() {
  zmq::message_t event;
  zmq::message_t address;
  while (monitor_.recv(event, zmq::recv_flags::dontwait)) {
    for (bool more = event.more(); more; more = address.more()) {
      if (!monitor_.recv(address, zmq::recv_flags::dontwait)) break;
    }
    std::uint16_t kind = 0;
    if (event.size() < sizeof kind) continue;
    std::memcpy(&kind, event.data(), sizeof kind);
    if (kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      handshake_failure_.clear();
      on_connected();
    } else if (kind == ZMQ_EVENT_DISCONNECTED) {
      on_disconnected(Clock::now());
    } else if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      handshake_failure_ = ": the broker refused this client's CURVE key (is it in the broker's keys file?)";
    } else {
      handshake_failure_ =
          ": the handshake failed (does the broker require CURVE and this client not use it, or the other way round?)";
    }
  }
}

void IoLoop::on_connected() {
  connected_ = true;
  transmit_unsent();
}

void IoLoop::on_disconnected(Clock::time_point now) {
  // A failed attempt while already disconnected: the wait started earlier.
  if (!connected_) return;
  // Answers that arrived before the drop are still queued; take them first.
  read_replies(true);
  connected_ = false;
  disconnected_since_ = now;
  std::vector<std::uint64_t> resend;
  std::vector<std::uint64_t> lost;
  for (std::uint64_t id : held_for_restart_) {
    if (pending_.contains(id)) resend.push_back(id);
  }
  held_for_restart_.clear();
  for (auto& [id, pending] : pending_) {
    if (!pending.transmitted) continue;
    pending.transmitted = false;
    (pending.resendable ? resend : lost).push_back(id);
  }
  // Ids follow the order requests were made: resent in that order, before those
  // that never went out, submissions reach a broker that lost them in the order
  // they were made.
  std::sort(resend.begin(), resend.end());
  unsent_.insert(unsent_.begin(), resend.begin(), resend.end());
  for (std::uint64_t id : lost) {
    auto it = pending_.find(id);
    if (it != pending_.end()) {
      complete(it, Outcome::unreachable("lost the connection to the broker at " + settings_.broker_endpoint));
    }
  }
}

void IoLoop::read_events() {
  zmq::message_t topic;
  zmq::message_t body;
  for (int budget = kReadBudget; budget > 0; --budget) {
    if (!sub_->recv(topic, zmq::recv_flags::dontwait)) return;
    if (!topic.more()) continue;
    bool complete_event = static_cast<bool>(sub_->recv(body, zmq::recv_flags::dontwait));
    bool extra = complete_event && body.more();
    for (zmq::message_t rest; extra; extra = rest.more()) {
      if (!sub_->recv(rest, zmq::recv_flags::dontwait)) break;
    }
    if (complete_event) deliver_event(topic.to_string_view(), body.to_string_view());
  }
}

void IoLoop::deliver_event(std::string_view topic, std::string_view body) {
  auto it = watchers_.find(std::string(topic));
  if (it == watchers_.end() || rpc::nesting_exceeds(body, kMaxEventDepth)) return;
  json event = json::parse(body, nullptr, false);
  if (!event.is_object()) return;
  // A copy: a callback may set another callback, which would change the list.
  std::vector<std::shared_ptr<FutureState>> states = it->second;
  for (const auto& state : states) state->notify(event);
}

void IoLoop::watch(EventWatch&& watch) {
  if (closed_ || watch.state->done()) return;
  watch.state->event_callbacks.push_back(std::move(watch.callback));
  start_events(watch.state);
}

void IoLoop::start_events(const std::shared_ptr<FutureState>& state) {
  if (closed_ || state->events_subscribed || state->event_callbacks.empty()) return;
  // Without an id yet, the subscription is made when the broker acknowledges it.
  std::optional<std::string> id = state->known_id();
  if (!id) return;
  std::string topic = "task." + *id;
  auto& states = watchers_[topic];
  if (states.empty()) {
    try {
      subscribe(topic);
    } catch (const zmq::error_t& error) {
      watchers_.erase(topic);
      log_warning("cannot follow events on " + settings_.event_endpoint + ": " + error.what());
      return;
    }
  }
  states.push_back(state);
  state->events_subscribed = true;
}

void IoLoop::subscribe(const std::string& topic) {
  if (!sub_) {
    zmq::socket_t sub(context_, zmq::socket_type::sub);
    apply_socket_limits(sub, SocketLimits{});
    if (settings_.curve) apply_curve_client(sub, *settings_.curve);
    sub.connect(settings_.event_endpoint);
    sub_.emplace(std::move(sub));
  }
  sub_->set(zmq::sockopt::subscribe, topic);
}

void IoLoop::stop_events(const std::shared_ptr<FutureState>& state) {
  state->event_callbacks.clear();
  if (!state->events_subscribed) return;
  state->events_subscribed = false;
  std::string topic = "task." + state->known_id().value_or("");
  auto it = watchers_.find(topic);
  if (it == watchers_.end()) return;
  std::erase(it->second, state);
  if (it->second.empty()) {
    if (sub_) sub_->set(zmq::sockopt::unsubscribe, topic);
    watchers_.erase(it);
  }
}

void IoLoop::expire_deadlines(Clock::time_point now) {
  while (!deadlines_.empty() && deadlines_.front().first <= now) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    auto [deadline, id] = deadlines_.back();
    deadlines_.pop_back();
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.deadline != deadline) continue;
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - it->second.added_at);
    std::string within = " within " + std::to_string(waited.count()) + " ms";
    // Never sent for want of a connection: the broker was out of reach, not slow.
    if (!connected_ && !it->second.transmitted) {
      complete(it, Outcome::unreachable("cannot reach the broker at " + settings_.broker_endpoint + within +
                                        handshake_failure_));
    } else {
      complete(it, Outcome::timed_out("no answer from the broker at " + settings_.broker_endpoint + within));
    }
  }
}

void IoLoop::fail_unreachable(Clock::time_point now) {
  if (connected_) return;
  // Requests that have waited since before `limit` while not connected fail. Those
  // waiting in unsent_ are in the order they started waiting.
  const Clock::time_point limit = now - settings_.connect_timeout;
  if (disconnected_since_ > limit) return;
  while (!unsent_.empty()) {
    auto it = pending_.find(unsent_.front());
    if (it != pending_.end() && !it->second.transmitted) {
      if (it->second.added_at > limit) return;
      unsent_.pop_front();
      complete(it,
               Outcome::unreachable("cannot reach the broker at " + settings_.broker_endpoint + handshake_failure_));
    } else {
      unsent_.pop_front();
    }
  }
}

std::optional<Clock::time_point> IoLoop::next_wakeup() const {
  std::optional<Clock::time_point> next;
  if (!deadlines_.empty()) next = deadlines_.front().first;
  if (!connected_ && !unsent_.empty()) {
    // An entry already answered gives the earliest possible time: waking early is harmless.
    Clock::time_point since = disconnected_since_;
    auto it = pending_.find(unsent_.front());
    if (it != pending_.end()) since = std::max(since, it->second.added_at);
    Clock::time_point at = since + settings_.connect_timeout;
    next = next ? std::min(*next, at) : at;
  }
  return next;
}

void IoLoop::close(const std::string& message) {
  closed_ = true;
  closed_message_ = message;
  PendingMap pending;
  pending.swap(pending_);
  unsent_.clear();
  held_for_restart_.clear();
  deadlines_.clear();
  for (auto& [id, request] : pending) request.done(Outcome::unreachable(message));
  for (auto& [topic, states] : watchers_) {
    for (const auto& state : states) {
      state->events_subscribed = false;
      state->event_callbacks.clear();
    }
  }
  watchers_.clear();
}

}  // namespace zerotask::detail

#include "broker_loop.hpp"

#include <iterator>
#include <map>
#include <random>

#include "zerotask/busy_poll.hpp"
#include "zerotask/clock.hpp"
#include "zerotask/curve.hpp"
#include "zerotask/endpoint.hpp"
#include "zerotask/log.hpp"
#include "zerotask/socket_options.hpp"
#include "zerotask/wait_ready.hpp"

namespace zerotask::broker {
namespace {

// Messages read per socket per turn before the loop lets timers and sends run.
constexpr int kMaxReadsPerTurn = 2000;
// While the store cannot write, an idle loop still tries to commit this often.
constexpr std::chrono::milliseconds kStoreRetryInterval{200};

std::unique_ptr<TaskStore> open_store(const BrokerConfig& config) {
  if (config.store == "memory") return std::make_unique<MemoryTaskStore>();
  if (config.store.empty()) throw std::invalid_argument("the store path is empty");
  return std::make_unique<SqliteTaskStore>(config.store, config.sync);
}

SchedulerConfig scheduler_config(const BrokerConfig& config) {
  SchedulerConfig scheduler;
  scheduler.epoch = make_epoch();
  scheduler.heartbeat_interval = config.heartbeat_interval;
  scheduler.keep_finished = config.keep_finished;
  scheduler.keep_failed = config.keep_failed;
  scheduler.max_depth = config.max_depth;
  scheduler.max_message_bytes = config.max_message_bytes;
  scheduler.max_retries = config.max_retries;
  scheduler.retry_backoff = config.retry_backoff;
  scheduler.retry_backoff_max = config.retry_backoff_max;
  scheduler.cancel_grace = config.cancel_grace;
  scheduler.max_queued = config.max_queued;
  scheduler.max_payload_bytes = config.max_payload_bytes;
  scheduler.max_waiting_per_peer = config.max_waiting_per_peer;
  return scheduler;
}

// Makes `socket` a CURVE server that asks the ZAP handler about each peer.
void require_curve(zmq::socket_t& socket, const std::string& secret_key) {
  if (!is_curve_key(secret_key)) throw std::invalid_argument("the broker's secret key is not a 40-character Z85 key");
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, secret_key);
  socket.set(zmq::sockopt::zap_domain, std::string(ZapHandler::kDomain));
}

}  // namespace

std::string event_endpoint_of(const BrokerConfig& config) {
  if (!config.event_endpoint.empty()) return config.event_endpoint;
  auto derived = default_event_endpoint(config.endpoint);
  if (!derived) throw std::invalid_argument("cannot derive an event endpoint from " + config.endpoint);
  return *derived;
}

std::string make_epoch() {
  std::random_device device;
  std::uint64_t value = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  return format_task_id(value);
}

BrokerLoop::BrokerLoop(const BrokerConfig& config, std::map<std::string, BrokerMethod, std::less<>> custom_methods,
                       const AccessKeys* keys)
    : config_(config),
      context_(1),
      keys_(keys),
      zap_(keys ? std::make_unique<ZapHandler>(context_, *keys) : nullptr),
      router_(context_, zmq::socket_type::router),
      events_(context_, zmq::socket_type::xpub),
      store_(open_store(config)),
      scheduler_(*store_, outbox_, scheduler_config(config), std::chrono::steady_clock::now()),
      schedules_(*store_, scheduler_, std::chrono::steady_clock::now()),
      rules_(config.rules_file.empty() ? Rules() : Rules::load(config.rules_file), scheduler_),
      handler_(scheduler_, schedules_, rules_, outbox_, config.max_depth, std::move(custom_methods)) {
  SocketLimits limits;
  limits.max_message_bytes = config.max_message_bytes;
  apply_socket_limits(router_, limits);
  apply_socket_limits(events_, limits);
  router_.set(zmq::sockopt::router_mandatory, true);
  if (keys_) {
    require_curve(router_, config.curve_secret_key);
    require_curve(events_, config.curve_secret_key);
  }
}

void BrokerLoop::request_stop() {
  stopping_.store(true);
  wakeup_.notify();
}

void BrokerLoop::bind() {
  std::string event_endpoint = event_endpoint_of(config_);
  router_.bind(config_.endpoint);
  events_.bind(event_endpoint);
  router_.bind(std::string(kInprocRequests));
  events_.bind(std::string(kInprocEvents));
  bound_ = true;
  log(LogLevel::Info, "broker",
      "serving requests on " + config_.endpoint + ", events on " + event_endpoint + ", store " +
          std::string(store_->name()) + ", epoch " + scheduler_.epoch());
}

void BrokerLoop::run() {
  if (!bound_) bind();
  std::vector<zmq::pollitem_t> items = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                                        {events_.handle(), 0, ZMQ_POLLIN, 0},
                                        {nullptr, wakeup_.fd(), ZMQ_POLLIN, 0}};
  const auto spin = worthwhile_busy_poll(config_.busy_poll);
  if (spin != config_.busy_poll) {
    log(LogLevel::Info, "broker", "busy polling off: the broker may run on one CPU only");
  }
  while (!stopping_.load()) {
    auto now = std::chrono::steady_clock::now();
    // Rounded up: a deadline 0.4 ms away must not turn into polls of 0 ms.
    SteadyTime deadline = scheduler_.next_deadline();
    if (auto schedule = schedules_.next_deadline()) deadline = std::min(deadline, *schedule);
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    if (store_failing_) wait = std::min(wait, kStoreRetryInterval);
    try {
      if (spin.count() == 0 || !busy_poll(items.data(), items.size(), spin)) {
        wait_ready(items.data(), items.size(), std::max(wait, std::chrono::milliseconds(0)));
      }
    } catch (const zmq::error_t& error) {
      if (error.num() != EINTR) throw;
    }
    now = std::chrono::steady_clock::now();
    if (items[2].revents & ZMQ_POLLIN) wakeup_.clear();
    if (items[1].revents & ZMQ_POLLIN) read_subscriptions();
    if (items[0].revents & ZMQ_POLLIN) read_requests(now);
    schedules_.tick(now);
    scheduler_.tick(now);
    rules_.apply();
    hand_out();
    flush();
  }
  scheduler_.shutdown();
  outbox_.publish("broker", json{{"event", "stopping"}, {"epoch", scheduler_.epoch()}, {"time", unix_time_ms()}});
  flush();
  log(LogLevel::Info, "broker", "stopped");
}

void BrokerLoop::read_requests(SteadyTime now) {
  std::vector<zmq::message_t> frames;
  for (int read = 0; read < kMaxReadsPerTurn; ++read) {
    frames.clear();
    zmq::message_t frame;
    if (!router_.recv(frame, zmq::recv_flags::dontwait)) return;
    frames.push_back(std::move(frame));
    while (frames.back().more()) {
      zmq::message_t next;
      if (!router_.recv(next, zmq::recv_flags::none)) break;
      frames.push_back(std::move(next));
    }
    if (frames.size() < 2) continue;
    Envelope envelope;
    bool valid = true;
    for (std::size_t i = 0; i + 1 < frames.size() && valid; ++i)
      valid = envelope.append_frame(frames[i].to_string_view());
    if (!valid) {
      log(LogLevel::Warn, "broker", "dropped a message with an envelope frame over 255 bytes");
      continue;
    }
    // Over CURVE the ZAP handler named the peer's key; the broker's own peers come
    // over inproc, unauthenticated, without a name (and without a peer address,
    // which libzmq sets for tcp and ipc peers).
    const AccessKey* caller = nullptr;
    if (keys_) {
      const char* user_id = zmq_msg_gets(frames.back().handle(), "User-Id");
      caller = user_id == nullptr ? nullptr : keys_->by_name(user_id);
      bool internal = user_id == nullptr && zmq_msg_gets(frames.back().handle(), "Peer-Address") == nullptr;
      if (caller == nullptr && !internal) {
        log(LogLevel::Error, "broker", "dropped a message from a peer without a key of the keys file");
        continue;
      }
    }
    handler_.handle_frame(envelope, frames.back().to_string_view(), now, caller);
  }
}

void BrokerLoop::read_subscriptions() {
  zmq::message_t message;
  for (int read = 0; read < kMaxReadsPerTurn && events_.recv(message, zmq::recv_flags::dontwait); ++read) {
    auto data = message.to_string_view();
    if (data.empty()) continue;
    std::string prefix(data.substr(1));
    if (data[0] == 1) {
      outbox_.subscribe(std::move(prefix));
    } else if (data[0] == 0) {
      outbox_.unsubscribe(prefix);
    }
  }
}

void BrokerLoop::flush() {
  bool changed = store_->changed_since_commit();
  bool committed = store_->commit();
  if (!committed && !store_failing_) {
    // What this turn was about to send depends on changes that are not stored: it
    // waits for a commit that succeeds. Until then nothing new is accepted.
    log(LogLevel::Error, "broker",
        "the store cannot write: " + store_->last_error() + "; refusing submissions until it can");
    store_failing_ = true;
    scheduler_.set_store_available(false, store_->last_error());
    hold(Turn{outbox_.take_messages(), outbox_.take_events()}, true);
    return;
  }
  if (committed && store_failing_) {
    log(LogLevel::Info, "broker", "the store writes again; serving");
    store_failing_ = false;
    scheduler_.set_store_available(true, "");
    send(std::exchange(held_, {}));
  }
  Turn turn{outbox_.take_messages(), outbox_.take_events()};
  if (store_failing_) {
    // A turn that changed something (a node's result, say) waits with the first
    // one; a turn that changed nothing (refusals, reads) goes out, except to nodes:
    // a node lets go of the results it sent once a later heartbeat is answered, so
    // nothing is answered to a node until its results can be stored.
    hold(std::move(turn), changed);
    return;
  }
  send(std::move(turn));
}

void BrokerLoop::hold(Turn turn, bool whole) {
  Turn now;
  for (auto& message : turn.messages) {
    bool wait = whole || scheduler_.is_node(std::string(message.to.routing_id()));
    (wait ? held_.messages : now.messages).push_back(std::move(message));
  }
  auto& events = whole ? held_.events : now.events;
  events.insert(events.end(), std::make_move_iterator(turn.events.begin()),
                std::make_move_iterator(turn.events.end()));
  send(std::move(now));
}

void BrokerLoop::hand_out() {
  // Hand-outs go before the commit, so nodes work while the broker waits for the
  // disk. Safe: a hand-out lost to a crash before its commit leaves the task
  // QUEUED in the store, and the recovered task skips the attempt number that
  // hand-out used (Scheduler::recover), so the lost hand-out's lease token stays
  // stale for ever.
  for (bool dropped = true; dropped;) {
    scheduler_.dispatch();
    std::map<std::string, std::vector<TaskId>> undelivered;  // by the routing id of a node that is gone
    for (auto& run : outbox_.take_hand_outs()) {
      if (deliver(run)) continue;
      auto& tasks = undelivered[std::string(run.to.routing_id())];
      tasks.insert(tasks.end(), run.tasks.begin(), run.tasks.end());
    }
    // Each drop forgets a node, so this ends; the tasks it gives back may go to
    // another node in this same turn.
    dropped = !undelivered.empty();
    for (auto& [routing_id, tasks] : undelivered) scheduler_.drop_node(routing_id, "disconnected", std::move(tasks));
  }
}

void BrokerLoop::send(Turn turn) {
  for (auto& message : turn.messages) send_message(message);
  for (auto& event : turn.events) {
    try {
      if (events_.send(zmq::buffer(event.topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        events_.send(zmq::buffer(event.body), zmq::send_flags::dontwait);
      }
    } catch (const zmq::error_t& error) {
      log(LogLevel::Warn, "broker", std::string("event dropped: ") + error.what());
    }
  }
}

void BrokerLoop::send_message(const OutgoingMessage& message) {
  if (!deliver(message)) scheduler_.drop_node(std::string(message.to.routing_id()), "disconnected");
}

bool BrokerLoop::deliver(const OutgoingMessage& message) {
  try {
    bool sent = true;
    for (auto frame : message.to.frames()) {
      sent = sent && router_.send(zmq::buffer(frame.data(), frame.size()),
                                  zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    }
    sent = sent && router_.send(zmq::buffer(message.body), zmq::send_flags::dontwait);
    if (sent) return true;
    // The peer's queue is full. A client loses this reply; a node would lose the
    // tasks in a node.run, so it is dropped and its tasks requeued.
    log(LogLevel::Warn, "broker", "a peer is not reading; a message to it was dropped");
  } catch (const zmq::error_t& error) {
    if (error.num() != EHOSTUNREACH) throw;
  }
  return false;
}

}  // namespace zerotask::broker

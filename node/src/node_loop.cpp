#include "node_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>
#include <variant>

#include "zerotask/log.hpp"
#include "zerotask/socket_options.hpp"

namespace zerotask::node_impl {
namespace {

// A broker silent for this many heartbeat intervals is taken for gone.
constexpr int kSilentIntervals = 3;
// Messages read from one socket per loop turn, so a flood on one socket cannot
// starve the outbox, the other socket or the timers.
constexpr int kMaxMessagesPerTurn = 1000;
// Events are plain JSON objects, not JSON-RPC: their depth is capped here instead.
constexpr std::size_t kMaxEventDepth = 64;

void log_warn(const std::string& message) {
  log(LogLevel::Warn, "node", message);
}

}  // namespace

NodeLoop::NodeLoop(const NodeConfig& config, const Dispatcher& dispatcher, zmq::context_t& context, Wakeup& wakeup,
                   Outbox& outbox, WorkerPool& pool, const std::atomic<bool>& stop_requested)
    : config_(config),
      dispatcher_(dispatcher),
      context_(context),
      wakeup_(wakeup),
      outbox_(outbox),
      pool_(pool),
      stop_requested_(stop_requested),
      functions_(dispatcher.names()),
      interval_(config.heartbeat_interval) {}

void NodeLoop::run() {
  open_subscriber();
  open_dealer(Clock::now());
  say_hello();
  while (true) {
    auto now = Clock::now();
    if (phase_ == Phase::Serving && stop_requested_.load()) begin_shutdown(now);
    if (phase_ == Phase::Draining && (outstanding_ == 0 || now >= grace_deadline_)) break;
    poll_once(now);
    on_timers(Clock::now());
  }
  finish();
}

void NodeLoop::open_dealer(Clock::time_point now) {
  dealer_ = zmq::socket_t(context_, zmq::socket_type::dealer);
  apply_socket_limits(dealer_, SocketLimits{});
  dealer_.connect(config_.broker_endpoint);
  last_heard_ = now;
  next_heartbeat_ = now + interval_;
}

void NodeLoop::open_subscriber() {
  if (config_.event_endpoint.empty()) return;
  subscriber_ = zmq::socket_t(context_, zmq::socket_type::sub);
  apply_socket_limits(subscriber_, SocketLimits{});
  // Nothing queued on a SUB is worth waiting for at close.
  subscriber_.set(zmq::sockopt::linger, 0);
  subscriber_.set(zmq::sockopt::subscribe, "broker");
  subscriber_.connect(config_.event_endpoint);
}

void NodeLoop::say_hello() {
  hello_id_ = next_request_id_++;
  epoch_.clear();
  send(encode_hello(hello_id_, config_.name, functions_, config_.threads));
}

void NodeLoop::rejoin(std::string_view reason, bool fresh_connection) {
  log_warn(std::string(reason) + (fresh_connection ? "; reconnecting" : "; saying hello again"));
  // The broker has put back (or, after a restart, never had) every task it gave this
  // node: the ones no worker has started are dropped, the running ones still report.
  outstanding_ -= pool_.discard_queued();
  if (fresh_connection) {
    // Whatever the old connection still queues (hellos, heartbeats) is stale.
    dealer_.set(zmq::sockopt::linger, 0);
    dealer_.close();
    open_dealer(Clock::now());
  } else {
    last_heard_ = Clock::now();
  }
  say_hello();
}

void NodeLoop::begin_shutdown(Clock::time_point now) {
  phase_ = Phase::Draining;
  // Tasks not started yet go back to the queue when the broker gets node.bye.
  outstanding_ -= pool_.discard_queued();
  send(encode_pull(0));
  grace_deadline_ = now + config_.shutdown_grace;
  log(LogLevel::Info, "node",
      "stopping: waiting up to " + std::to_string(config_.shutdown_grace.count()) + " ms for " +
          std::to_string(outstanding_) + " running task(s)");
}

void NodeLoop::finish() {
  flush_outbox();
  if (outstanding_ > 0) {
    log_warn(std::to_string(outstanding_) +
             " task(s) still running after the grace period: firing their stop tokens; the broker requeues them");
    pool_.request_stop();
  }
  send(encode_bye());
  // The DEALER keeps its linger so the results and the bye above still go out.
  dealer_.close();
  if (subscriber_) subscriber_.close();
}

void NodeLoop::poll_once(Clock::time_point now) {
  zmq::pollitem_t items[3] = {
      {dealer_.handle(), 0, ZMQ_POLLIN, 0},
      {nullptr, wakeup_.fd(), ZMQ_POLLIN, 0},
      {subscriber_.handle(), 0, ZMQ_POLLIN, 0},
  };
  std::size_t count = subscriber_ ? 3 : 2;
  try {
    zmq::poll(items, count, time_to_next_deadline(now));
  } catch (const zmq::error_t& error) {
    // A signal interrupted the wait: the loop simply turns again.
    if (error.num() == EINTR) return;
    throw;
  }
  if (items[0].revents & ZMQ_POLLIN) read_dealer();
  if (count == 3 && (items[2].revents & ZMQ_POLLIN)) read_subscriber();
  if (items[1].revents & ZMQ_POLLIN) {
    // Cleared before the outbox is taken, so a push racing with the take raises it again.
    wakeup_.clear();
    flush_outbox();
  }
}

std::chrono::milliseconds NodeLoop::time_to_next_deadline(Clock::time_point now) const {
  auto deadline = next_heartbeat_;
  if (phase_ == Phase::Serving) {
    deadline = std::min(deadline, last_heard_ + kSilentIntervals * interval_);
  } else {
    deadline = std::min(deadline, grace_deadline_);
  }
  // Rounded up: a deadline 0.4 ms away must not turn into a busy loop of 0 ms polls.
  return std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
}

void NodeLoop::on_timers(Clock::time_point now) {
  if (now >= next_heartbeat_) {
    send(encode_heartbeat(next_request_id_++));
    next_heartbeat_ = now + interval_;
  }
  if (phase_ == Phase::Serving && now - last_heard_ >= kSilentIntervals * interval_) {
    rejoin("no answer from the broker for " + std::to_string(kSilentIntervals * interval_.count()) + " ms", true);
  }
}

void NodeLoop::read_dealer() {
  zmq::message_t frame;
  int read = 0;
  try {
    for (; read < kMaxMessagesPerTurn; ++read) {
      if (!dealer_.recv(frame, zmq::recv_flags::dontwait)) break;
      // The body is the last frame; the broker sends none before it, but an envelope
      // would be harmless.
      while (frame.more()) {
        if (!dealer_.recv(frame, zmq::recv_flags::dontwait)) break;
      }
      handle_frame(frame.to_string_view());
    }
  } catch (const zmq::error_t& error) {
    log_warn(std::string("reading from the broker failed: ") + error.what());
  }
  if (read > 0) last_heard_ = Clock::now();
}

void NodeLoop::read_subscriber() {
  zmq::message_t topic;
  zmq::message_t body;
  try {
    for (int read = 0; read < kMaxMessagesPerTurn; ++read) {
      if (!subscriber_.recv(topic, zmq::recv_flags::dontwait)) break;
      if (!topic.more()) continue;
      if (!subscriber_.recv(body, zmq::recv_flags::dontwait)) break;
      bool complete = !body.more();
      while (body.more()) {
        if (!subscriber_.recv(body, zmq::recv_flags::dontwait)) break;
      }
      if (complete) handle_event(body.to_string_view());
    }
  } catch (const zmq::error_t& error) {
    log_warn(std::string("reading broker events failed: ") + error.what());
  }
}

void NodeLoop::handle_frame(std::string_view text) {
  auto frame = rpc::decode(text);
  if (frame.error) {
    log_warn("ignored an unreadable message from the broker: " + frame.error->message);
    return;
  }
  for (auto& message : frame.messages) {
    if (auto* request = std::get_if<rpc::Request>(&message)) {
      handle_request(*request);
    } else if (auto* response = std::get_if<rpc::Response>(&message)) {
      handle_response(*response);
    } else {
      log_warn("ignored an invalid message from the broker: " + std::get<rpc::Invalid>(message).error.message);
    }
  }
}

void NodeLoop::handle_request(rpc::Request& request) {
  if (request.method == "node.run") {
    handle_run(request.params);
    return;
  }
  log_warn("ignored method '" + request.method + "' from the broker");
  if (!request.is_notification()) {
    send(rpc::encode_error(*request.id, rpc::Error{rpc::kMethodNotFound,
                                                   "a node does not serve method '" + request.method + "'", nullptr}));
  }
}

void NodeLoop::handle_run(json& params) {
  json* tasks = run_tasks(params);
  if (tasks == nullptr) {
    log_warn("ignored a node.run without a tasks array");
    return;
  }
  // After node.pull {slots: 0} a node.run may still cross it on the wire; node.bye
  // hands those tasks back.
  if (phase_ != Phase::Serving) return;
  for (auto& entry : *tasks) {
    auto task = read_task(entry);
    if (!task) {
      log_warn("ignored a malformed task in node.run");
      continue;
    }
    const TaskFunction* function = dispatcher_.find(task->function);
    if (function == nullptr) {
      ++outstanding_;
      outbox_.push_result(
          TaskResult{std::move(task->id), task->attempt, Outcome{nullptr, unknown_function(task->function)}});
      continue;
    }
    jobs_.push_back(Job{std::move(task->id), task->attempt, function, std::move(task->params)});
  }
  outstanding_ += jobs_.size();
  pool_.submit(jobs_);
  jobs_.clear();
}

void NodeLoop::handle_response(const rpc::Response& response) {
  if (!response.id.is_number_integer()) {
    log_warn("ignored a response to a request this node did not send");
    return;
  }
  auto id = response.id.get<std::int64_t>();
  if (id == hello_id_) {
    handle_hello_reply(response);
    return;
  }
  // Every other request is a heartbeat: a success needs nothing beyond having heard
  // from the broker.
  if (!response.error) return;
  if (response.error->code != rpc::kUnknownNode) {
    log_warn("heartbeat refused: " + response.error->message);
    return;
  }
  // An unknown_node answer to a heartbeat sent before the latest hello says nothing
  // about that hello.
  if (id > hello_id_ && phase_ == Phase::Serving) rejoin("the broker does not know this node", false);
}

void NodeLoop::handle_hello_reply(const rpc::Response& response) {
  if (response.error) {
    log(LogLevel::Error, "node",
        "the broker refused node.hello: " + response.error->message + " (" + std::to_string(response.error->code) +
            ")");
    return;
  }
  const json& result = *response.result;
  if (!result.is_object()) {
    log_warn("ignored a node.hello result that is not an object");
    return;
  }
  if (auto epoch = result.find("epoch"); epoch != result.end() && epoch->is_string()) {
    epoch_ = epoch->get<std::string>();
  }
  // The broker forgets a node silent for 3 of its own intervals: beat at least as
  // often as it asks.
  if (auto beat = result.find("heartbeat_ms"); beat != result.end() && beat->is_number_integer()) {
    auto asked = beat->get<std::int64_t>();
    if (asked > 0 && asked < config_.heartbeat_interval.count()) {
      interval_ = std::chrono::milliseconds(asked);
      next_heartbeat_ = std::min(next_heartbeat_, Clock::now() + interval_);
    }
  }
  log(LogLevel::Info, "node", "registered with the broker as " + config_.name + " (epoch " + epoch_ + ")");
}

void NodeLoop::handle_event(std::string_view body) {
  if (phase_ != Phase::Serving || epoch_.empty()) return;
  if (rpc::nesting_exceeds(body, kMaxEventDepth)) return;
  auto event = json::parse(body, nullptr, false);
  if (!event.is_object()) return;
  auto epoch = event.find("epoch");
  if (epoch == event.end() || !epoch->is_string()) return;
  const auto& published = epoch->get_ref<const std::string&>();
  if (published != epoch_) rejoin("the broker restarted (epoch " + epoch_ + " became " + published + ")", true);
}

void NodeLoop::flush_outbox() {
  outbox_.take(batch_);
  if (!batch_.progress.empty()) send_progress();
  if (!batch_.results.empty()) {
    outstanding_ -= batch_.results.size();
    send(encode_done(batch_.results));
  }
  batch_.clear();
}

void NodeLoop::send_progress() {
  // A function may report far more often than anyone can watch: per task only the
  // latest report of this batch is sent.
  latest_progress_.clear();
  for (auto it = batch_.progress.rbegin(); it != batch_.progress.rend(); ++it) {
    bool superseded = std::any_of(latest_progress_.begin(), latest_progress_.end(), [&](const ProgressReport* later) {
      return later->attempt == it->attempt && later->id == it->id;
    });
    if (!superseded) latest_progress_.push_back(&*it);
  }
  for (auto it = latest_progress_.rbegin(); it != latest_progress_.rend(); ++it) send(encode_progress(**it));
}

void NodeLoop::send(const std::string& text) {
  try {
    // Never block the loop: a DEALER whose queue is full (a broker long gone) drops
    // the message, and the silence timer replaces the connection.
    if (!dealer_.send(zmq::buffer(text), zmq::send_flags::dontwait)) {
      log_warn("dropped a message to the broker: the connection is backed up");
    }
  } catch (const zmq::error_t& error) {
    log_warn(std::string("sending to the broker failed: ") + error.what());
  }
}

}  // namespace zerotask::node_impl

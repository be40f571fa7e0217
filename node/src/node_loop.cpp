#include "node_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <utility>
#include <variant>

#include "zerotask/log.hpp"
#include "zerotask/socket_options.hpp"
#include "zerotask/wait_ready.hpp"

namespace zerotask::node_impl {
namespace {

// A broker silent for this many heartbeat intervals is taken for gone.
constexpr int kSilentIntervals = 3;
// Messages read from one socket per loop turn, so a flood on one socket cannot
// starve the outbox, the other socket or the timers.
constexpr int kMaxMessagesPerTurn = 1000;
// Events are plain JSON objects, not JSON-RPC: their depth is capped here instead.
constexpr std::size_t kMaxEventDepth = 64;
// The broker is trusted: its messages are decoded with room for anything it accepts
// itself (its --max-depth is at most 512) plus node.run's own 4 levels around params.
constexpr std::size_t kBrokerMessageDepth = 1024;
// What the broker accepts until its hello reply says otherwise: its defaults.
constexpr std::size_t kDefaultBrokerDepth = 64;
constexpr std::size_t kDefaultBrokerMessageBytes = 16 * 1024 * 1024;
// node.done puts a result 4 levels down (message, params, results, entry), node.progress
// its value 2; a result, progress or partial may nest max_depth minus this margin.
constexpr std::size_t kValueDepthMargin = 8;

void log_warn(const std::string& message) {
  log(LogLevel::Warn, "node", message);
}

}  // namespace

std::size_t NodeLoop::ProgressKeyHash::operator()(const ProgressKey& key) const {
  return std::hash<std::string_view>{}(key.id) ^ (static_cast<std::size_t>(key.attempt) * 0x9e3779b97f4a7c15ULL);
}

NodeLoop::NodeLoop(const NodeConfig& config, const Dispatcher& dispatcher, zmq::context_t& context, Wakeup& wakeup,
                   Outbox& outbox, WorkerPool& pool, const std::atomic<bool>& stop_requested,
                   const SocketLimits& dealer)
    : config_(config),
      dispatcher_(dispatcher),
      context_(context),
      wakeup_(wakeup),
      outbox_(outbox),
      pool_(pool),
      stop_requested_(stop_requested),
      functions_(dispatcher.functions()),
      interval_(config.heartbeat_interval),
      dealer_options_(dealer),
      broker_max_depth_(kDefaultBrokerDepth),
      broker_max_message_bytes_(kDefaultBrokerMessageBytes) {}

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
  apply_socket_limits(dealer_, dealer_options_);
  if (config_.curve) apply_curve_client(dealer_, *config_.curve);
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
  if (config_.curve) apply_curve_client(subscriber_, *config_.curve);
  subscriber_.connect(config_.event_endpoint);
}

void NodeLoop::say_hello() {
  hello_id_ = next_request_id_++;
  epoch_.clear();
  // This broker's limits are known once it answers.
  broker_max_depth_ = kDefaultBrokerDepth;
  broker_max_message_bytes_ = kDefaultBrokerMessageBytes;
  announced_slots_ = free_slots();
  send(encode_hello(hello_id_, config_.name, functions_, config_.queues, announced_slots_, running_.tokens()));
}

void NodeLoop::rejoin(std::string_view reason, bool fresh_connection) {
  log_warn(std::string(reason) + (fresh_connection ? "; reconnecting" : "; saying hello again"));
  // The broker has put back (or, after a restart, never had) every task it gave this
  // node: the ones no worker has started are dropped, the running ones still report.
  discard_queued();
  // With nothing queued any more, what remains in flight after this take is exactly
  // what the workers are running: at most one task each. Their results are sent
  // after the hello below, which lists them.
  collect_outbox();
  ++generation_;
  old_running_ = std::min<std::size_t>(running_.size(), config_.threads);
  // Results and partials that may not have reached the broker go out again after the
  // hello: the broker takes each result once; a partial it already had comes twice
  // (at least once, as everything in zerotask).
  std::vector<KeptMessage> again;
  for (auto& sent : unconfirmed_) {
    sent.message.resent = true;
    again.push_back(std::move(sent.message));
  }
  unconfirmed_.clear();
  unsent_.insert(unsent_.begin(), std::make_move_iterator(again.begin()), std::make_move_iterator(again.end()));
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
  discard_queued();
  send(encode_pull(0));
  grace_deadline_ = now + config_.shutdown_grace;
  log(LogLevel::Info, "node",
      "stopping: waiting up to " + std::to_string(config_.shutdown_grace.count()) + " ms for " +
          std::to_string(running_.size()) + " running task(s)");
}

void NodeLoop::discard_queued() {
  pool_.discard_queued(jobs_);
  for (const auto& job : jobs_) running_.remove(job.ticket);
  outstanding_ -= jobs_.size();
  jobs_.clear();
}

void NodeLoop::finish() {
  flush_outbox();
  if (running_.size() > 0) {
    log_warn(std::to_string(running_.size()) +
             " task(s) still running after the grace period: firing their stop tokens; the broker requeues them");
    pool_.request_stop();
  }
  if (!unsent_.empty()) {
    std::size_t results = 0;
    std::size_t partials = 0;
    for (const auto& message : unsent_) {
      results += message.results;
      if (message.results == 0) ++partials;
    }
    log_warn(std::to_string(results) + " result(s) and " + std::to_string(partials) +
             " partial result(s) could not be sent: the connection is backed up; the broker requeues their tasks");
  }
  send(encode_bye());
  // The DEALER keeps its linger so the results and the bye above still go out.
  dealer_.close();
  if (subscriber_) subscriber_.close();
}

void NodeLoop::poll_once(Clock::time_point now) {
  // Writable is worth waking for only while something waits to be sent.
  short dealer_events = ZMQ_POLLIN | (has_pending() ? ZMQ_POLLOUT : 0);
  zmq::pollitem_t items[3] = {
      {dealer_.handle(), 0, dealer_events, 0},
      {nullptr, wakeup_.fd(), ZMQ_POLLIN, 0},
      {subscriber_.handle(), 0, ZMQ_POLLIN, 0},
  };
  std::size_t count = subscriber_ ? 3 : 2;
  try {
    wait_ready(items, count, time_to_next_deadline(now));
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
  } else if (items[0].revents & ZMQ_POLLOUT) {
    send_pending();
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
  auto frame = rpc::decode(text, rpc::DecodeLimits{kBrokerMessageDepth});
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
  if (request.method == "node.cancel") {
    handle_cancel(request.params);
    return;
  }
  log_warn("ignored method '" + request.method + "' from the broker");
  if (!request.is_notification()) {
    send(rpc::encode_error(*request.id, rpc::Error{rpc::kMethodNotFound,
                                                   "a node does not serve method '" + request.method + "'", nullptr}));
  }
}

void NodeLoop::handle_run(json& params) {
  json* tasks = task_list(params);
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
      auto ticket = running_.add(task->id, task->attempt, generation_, nullptr);
      ++outstanding_;
      outbox_.push_result(
          TaskResult{std::move(task->id), task->attempt, Outcome{nullptr, unknown_function(task->function)}, ticket});
      continue;
    }
    auto stop = std::make_shared<TaskStop>();
    auto ticket = running_.add(task->id, task->attempt, generation_, stop);
    jobs_.push_back(Job{std::move(task->id), task->attempt, function, std::move(task->params), task->timeout, ticket,
                        std::move(stop)});
  }
  outstanding_ += jobs_.size();
  pool_.submit(jobs_);
  jobs_.clear();
}

void NodeLoop::handle_cancel(json& params) {
  json* tasks = task_list(params);
  if (tasks == nullptr) {
    log_warn("ignored a node.cancel without a tasks array");
    return;
  }
  for (const auto& entry : *tasks) {
    auto token = read_lease_token(entry);
    if (!token) {
      log_warn("ignored a malformed task in node.cancel");
      continue;
    }
    // A task finished, of another attempt or never seen here has nothing to stop.
    if (running_.cancel(token->id, token->attempt)) {
      log(LogLevel::Info, "node", "cancelling task " + token->id + " (attempt " + std::to_string(token->attempt) + ")");
    }
  }
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
  // Every other request is a heartbeat. A success confirms every kept message sent
  // before it.
  if (!response.error) {
    while (!unconfirmed_.empty() && unconfirmed_.front().confirmed_by <= id) unconfirmed_.pop_front();
    return;
  }
  if (response.error->code != rpc::kUnknownNode) {
    log_warn("heartbeat refused: " + response.error->message);
    return;
  }
  // An unknown_node answer to a heartbeat sent before the latest hello says nothing
  // about that hello.
  if (id > hello_id_ && phase_ == Phase::Serving) rejoin("the broker does not know this node", false);
}

void NodeLoop::handle_hello_reply(const rpc::Response& response) {
  // Saying hello again would be refused again: this node's key may not serve here.
  if (response.error && response.error->code == rpc::kUnauthorized) {
    throw std::runtime_error("the broker refused this node: " + response.error->message);
  }
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
  // The broker's limits: max_depth counts the whole message, max_message_bytes is its
  // ZMQ_MAXMSGSIZE (-1: none). Absent (an older broker): its defaults stay.
  if (auto depth = result.find("max_depth"); depth != result.end() && depth->is_number_integer()) {
    if (auto value = depth->get<std::int64_t>(); value > 0) broker_max_depth_ = static_cast<std::size_t>(value);
  }
  if (auto bytes = result.find("max_message_bytes"); bytes != result.end() && bytes->is_number_integer()) {
    auto value = bytes->get<std::int64_t>();
    broker_max_message_bytes_ = value > 0 ? static_cast<std::size_t>(value) : std::numeric_limits<std::size_t>::max();
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

void NodeLoop::collect_outbox() {
  outbox_.take(batch_);
  if (!batch_.progress.empty()) send_progress();
  // Before the results: a task's partials were pushed before its result.
  if (!batch_.partials.empty()) keep_partials();
  if (!batch_.results.empty()) {
    for (const auto& result : batch_.results) {
      // A task from before the last rejoin has freed its worker.
      if (running_.remove(result.ticket) != generation_ && old_running_ > 0) --old_running_;
    }
    encode_done(batch_.results, send_limits(), unsent_);
  }
  batch_.clear();
}

void NodeLoop::flush_outbox() {
  collect_outbox();
  send_pending();
}

bool NodeLoop::has_pending() const {
  return !unsent_.empty() || (phase_ == Phase::Serving && free_slots() != announced_slots_);
}

void NodeLoop::send_pending() {
  std::size_t sent = 0;
  for (; sent < unsent_.size(); ++sent) {
    if (!try_send(unsent_[sent].text)) break;
    // Only now are these results off the node's hands.
    if (!unsent_[sent].resent) outstanding_ -= unsent_[sent].results;
    unconfirmed_.push_back(SentMessage{std::move(unsent_[sent]), next_request_id_});
  }
  unsent_.erase(unsent_.begin(), unsent_.begin() + static_cast<std::ptrdiff_t>(sent));
  if (!unsent_.empty() && !backed_up_) {
    log_warn("the connection to the broker is backed up: keeping " + std::to_string(unsent_.size()) +
             " message(s) until it takes them");
  }
  backed_up_ = !unsent_.empty();
  // After node.pull {slots: 0} the slots stay at 0.
  if (phase_ != Phase::Serving) return;
  unsigned slots = free_slots();
  if (slots != announced_slots_ && try_send(encode_pull(slots))) announced_slots_ = slots;
}

void NodeLoop::send_progress() {
  // Each task's reports share one entry in the outbox; should a batch still hold
  // several for one task, only the latest is sent.
  latest_progress_.clear();
  progress_seen_.clear();
  for (auto it = batch_.progress.rbegin(); it != batch_.progress.rend(); ++it) {
    if (progress_seen_.insert(ProgressKey{it->id, it->attempt}).second) latest_progress_.push_back(&*it);
  }
  const SendLimits limits = send_limits();
  for (auto it = latest_progress_.rbegin(); it != latest_progress_.rend(); ++it) {
    if (auto text = encode_progress(**it, limits)) {
      send(*text);
    } else {
      log_warn("dropped a progress report of task " + (*it)->id + ": it exceeds the broker's limits");
    }
  }
}

void NodeLoop::keep_partials() {
  const SendLimits limits = send_limits();
  for (const auto& partial : batch_.partials) {
    if (auto text = encode_progress(partial, limits)) {
      unsent_.push_back(KeptMessage{std::move(*text), 0, false});
    } else {
      // The broker would refuse it, or drop the connection over it: never sendable.
      log_warn("dropped a partial result of task " + partial.id + ": it exceeds the broker's limits");
    }
  }
}

unsigned NodeLoop::free_slots() const {
  return config_.threads - static_cast<unsigned>(old_running_);
}

SendLimits NodeLoop::send_limits() const {
  SendLimits limits;
  limits.max_value_depth = broker_max_depth_ > kValueDepthMargin ? broker_max_depth_ - kValueDepthMargin : 0;
  // Half the broker's limit, so that no message of the node comes near it.
  limits.max_message_bytes = broker_max_message_bytes_ / 2;
  return limits;
}

void NodeLoop::send(const std::string& text) {
  if (!try_send(text)) log_warn("dropped a message to the broker: the connection is backed up");
}

bool NodeLoop::try_send(const std::string& text) {
  try {
    // Never block the loop. A DEALER whose queue is full (a broker long gone) does
    // not take the message: node.done, partial results and node.pull are kept and
    // sent again (see send_pending()), anything else is dropped; the silence timer
    // replaces the connection.
    return dealer_.send(zmq::buffer(text), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t& error) {
    log_warn(std::string("sending to the broker failed: ") + error.what());
    return false;
  }
}

}  // namespace zerotask::node_impl

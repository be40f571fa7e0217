// zerotask::Node: checks and completes the configuration, keeps the function
// registry, and runs the I/O loop (NodeLoop) on the thread that calls run(), with a
// WorkerPool beside it for the duration of the call.
#include "zerotask/node.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#include <zmq.hpp>

#include "dispatcher.hpp"
#include "node_loop.hpp"
#include "outbox.hpp"
#include "worker_pool.hpp"
#include "zerotask/endpoint.hpp"
#include "zerotask/limits.hpp"
#include "zerotask/log.hpp"
#include "zerotask/wakeup.hpp"

namespace zerotask {
namespace {

constexpr auto kMaxThreads = static_cast<unsigned>(kMaxSlots);  // a node offers one slot per thread
// The queue of the tasks submitted without one.
constexpr const char* kDefaultQueue = "default";

std::string default_name() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "node");
  std::random_device random;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(random() & 0xffff));
  // Cut the host name so the whole name stays within the protocol's 128 bytes.
  return std::string(host).substr(0, 100) + "-" + std::to_string(getpid()) + "-" + suffix;
}

NodeConfig resolve(NodeConfig config) {
  if (config.broker_endpoint.empty()) throw std::invalid_argument("the broker endpoint is empty");
  config.broker_endpoint = connectable_endpoint(config.broker_endpoint);
  if (config.event_endpoint.empty()) {
    if (auto derived = default_event_endpoint(config.broker_endpoint)) {
      config.event_endpoint = *derived;
    } else {
      log(LogLevel::Warn, "node",
          "no event endpoint derives from " + config.broker_endpoint +
              ": broker restarts are noticed by heartbeat only");
    }
  } else {
    config.event_endpoint = connectable_endpoint(config.event_endpoint);
  }
  if (config.threads == 0) config.threads = std::max(1u, std::thread::hardware_concurrency());
  if (config.threads > kMaxThreads) throw std::invalid_argument("threads must be at most 100000");
  if (config.name.empty()) config.name = default_name();
  if (config.name.size() > kMaxNameBytes) throw std::invalid_argument("a node name must be at most 128 bytes");
  if (config.heartbeat_interval.count() <= 0) throw std::invalid_argument("heartbeat_interval must be positive");
  if (config.shutdown_grace.count() < 0) throw std::invalid_argument("shutdown_grace must not be negative");
  if (config.queues.empty()) config.queues.emplace_back(kDefaultQueue);
  if (config.queues.size() > kMaxQueues) throw std::invalid_argument("a node serves at most 100 queues");
  for (const auto& queue : config.queues) {
    if (queue.empty() || queue.size() > kMaxNameBytes) {
      throw std::invalid_argument("a queue name must be 1 to 128 bytes: '" + queue + "'");
    }
  }
  return config;
}

}  // namespace

class Node::Impl {
 public:
  explicit Impl(NodeConfig config) : config_(resolve(std::move(config))) {}

  const NodeConfig config_;
  node_impl::Dispatcher dispatcher_;
  Wakeup wakeup_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> started_{false};
};

Node::Node(NodeConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Node::~Node() = default;

void Node::register_function(std::string name, TaskFunction function, FunctionOptions options) {
  if (impl_->started_.load()) throw std::logic_error("register_function() after run()");
  impl_->dispatcher_.add(std::move(name), std::move(function), options);
}

void Node::register_function(std::string name, std::function<json(const json& params)> function,
                             FunctionOptions options) {
  if (!function) throw std::invalid_argument("function '" + name + "' is empty");
  register_function(std::move(name), TaskFunction([function = std::move(function)](const json& params, TaskContext&) {
                      return function(params);
                    }),
                    options);
}

void Node::run() {
  if (impl_->dispatcher_.empty()) throw std::logic_error("register at least one function before run()");
  if (impl_->started_.exchange(true)) throw std::logic_error("Node::run() may be called only once");
  if (impl_->stop_requested_.load()) return;
  // Declared in this order so that each goes before what it uses: the loop before
  // the pool and the outbox, the pool (whose workers push to the outbox) before the
  // outbox, and every socket before the context. The context is made here, not in
  // the constructor, so that constructing a Node starts no thread.
  zmq::context_t context(1);
  node_impl::Outbox outbox(impl_->wakeup_);
  node_impl::WorkerPool pool(impl_->config_.threads, outbox);
  node_impl::NodeLoop loop(impl_->config_, impl_->dispatcher_, context, impl_->wakeup_, outbox, pool,
                           impl_->stop_requested_);
  loop.run();
}

void Node::stop() {
  impl_->stop_requested_.store(true);
  impl_->wakeup_.notify();
}

const std::string& Node::name() const {
  return impl_->config_.name;
}

}  // namespace zerotask

#include "zerotask/broker.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

#include "broker_loop.hpp"
#include "request_handler.hpp"

namespace zerotask {

class Broker::Impl {
 public:
  explicit Impl(BrokerConfig config) : config(std::move(config)) {}

  BrokerConfig config;
  std::map<std::string, BrokerMethod, std::less<>> custom_methods;
  std::mutex mutex;  // guards loop and stop_requested between run() and stop()
  broker::BrokerLoop* loop = nullptr;
  bool stop_requested = false;
};

Broker::Broker(BrokerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Broker::~Broker() = default;

void Broker::register_method(std::string name, BrokerMethod method) {
  if (!name.starts_with("broker.") || name.size() == 7) {
    throw std::invalid_argument("a custom method name must start with 'broker.': " + name);
  }
  if (broker::RequestHandler::is_builtin(name)) throw std::invalid_argument(name + " is a built-in method");
  impl_->custom_methods[std::move(name)] = std::move(method);
}

void Broker::run() {
  broker::BrokerLoop loop(impl_->config, impl_->custom_methods);
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stop_requested) return;
    impl_->loop = &loop;
  }
  try {
    loop.run();
  } catch (...) {
    std::lock_guard lock(impl_->mutex);
    impl_->loop = nullptr;
    throw;
  }
  std::lock_guard lock(impl_->mutex);
  impl_->loop = nullptr;
}

void Broker::stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stop_requested = true;
  if (impl_->loop) impl_->loop->request_stop();
}

}  // namespace zerotask

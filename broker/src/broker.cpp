#include "zerotask/broker.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "broker_loop.hpp"
#include "http/http_gateway.hpp"
#include "http/webhook_sender.hpp"
#include "request_handler.hpp"
#include "security/access_keys.hpp"
#include "security/exposure.hpp"

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
  const BrokerConfig& config = impl_->config;
  std::optional<broker::HttpAddress> http;
  if (!config.http.empty()) {
    http = broker::parse_http_address(config.http);
    if (!http) throw std::invalid_argument("--http must be HOST:PORT (e.g. 127.0.0.1:8080), not '" + config.http + "'");
  }
  if (config.keys_file.empty() != config.curve_secret_key.empty()) {
    throw std::invalid_argument(config.keys_file.empty()
                                    ? "the broker's secret key is given without a keys file (--keys FILE)"
                                    : "a keys file needs the broker's own key pair (--curve-key FILE, zt keygen)");
  }
  if (auto refusal = broker::exposure_refusal(config, broker::event_endpoint_of(config), http)) {
    throw std::invalid_argument(*refusal);
  }
  std::optional<broker::AccessKeys> keys;
  if (!config.keys_file.empty()) keys = broker::AccessKeys::load(config.keys_file);
  broker::BrokerLoop loop(config, impl_->custom_methods, keys ? &*keys : nullptr);
  loop.bind();
  // Declared after the loop, so destroyed before it: their sockets close before its context.
  broker::WebhookSender webhooks(
      loop.context(), std::string(broker::BrokerLoop::kInprocRequests),
      broker::WebhookOptions{config.webhook_attempts, config.webhook_backoff, config.webhook_timeout});
  std::unique_ptr<broker::HttpGateway> gateway;
  if (http) {
    broker::HttpGatewayOptions options;
    options.address = *http;
    options.request_endpoint = broker::BrokerLoop::kInprocRequests;
    options.event_endpoint = broker::BrokerLoop::kInprocEvents;
    options.max_depth = config.max_depth;
    options.max_message_bytes = config.max_message_bytes;
    gateway = std::make_unique<broker::HttpGateway>(loop.context(), std::move(options));
  }
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

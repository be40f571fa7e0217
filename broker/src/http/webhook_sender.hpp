// WebhookSender: delivers the callbacks of final tasks (docs/HTTP.md, "Webhooks")
// off the broker loop's thread, whether or not the HTTP gateway runs.
//
// One coordinating thread owns a DEALER on the loop's in-process request endpoint:
// it keeps a broker.webhooks.take request waiting there, hands the deliveries it
// gets to a few delivery threads, and reports how each ended with
// broker.webhooks.done, which the loop stores with the task. Delivery threads touch
// no socket of ZeroMQ: each POSTs with cpp-httplib and, while the receiver does not
// answer 2xx, tries again after an exponential backoff, up to the attempts allowed.
// The constructor starts the coordinator; the destructor interrupts the POSTs in
// flight and joins every thread (deliveries not done stay pending in the store and
// are resumed at the next start). Construct and destroy on one thread, before the
// ZeroMQ context goes.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <zmq.hpp>

namespace zerotask::broker {

struct WebhookOptions {
  int attempts = 8;                         // POSTs before a delivery gives up
  std::chrono::milliseconds backoff{1000};  // the wait after the first failed POST; doubles after each
  std::chrono::milliseconds timeout{5000};  // to connect, and for each read and write, of one POST
};

// The longest wait between two attempts, however many failed.
inline constexpr std::chrono::milliseconds kMaxWebhookBackoff{10 * 60 * 1000};

// The wait after `failed` failed attempts (1 or more): base * 2^(failed - 1), at
// most kMaxWebhookBackoff.
std::chrono::milliseconds webhook_backoff(std::chrono::milliseconds base, int failed);

class WebhookSender {
 public:
  WebhookSender(zmq::context_t& context, std::string request_endpoint, WebhookOptions options);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zerotask::broker

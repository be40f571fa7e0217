// WebhookReceiver: an HTTP server inside a test that stands for a task's callback
// receiver. It answers each POST to /hook with the next of the statuses it was
// given (the last one from then on) and keeps every body; its own thread serves
// until it goes. Used by the broker's unit tests and the integration tests.
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace zerotask::testing {

class WebhookReceiver {
 public:
  explicit WebhookReceiver(std::vector<int> statuses, int port = free_port())
      : port_(port), statuses_(std::move(statuses)) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      bodies_.push_back(nlohmann::json::parse(req.body, nullptr, false));
      res.status = statuses_[std::min(bodies_.size(), statuses_.size()) - 1];
    });
    REQUIRE(server_.bind_to_port("127.0.0.1", port_));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::size_t received() {
    std::lock_guard lock(mutex_);
    return bodies_.size();
  }
  // The body of the `index`th POST (from 0); discarded JSON if it was not JSON.
  nlohmann::json body(std::size_t index) {
    std::lock_guard lock(mutex_);
    REQUIRE(index < bodies_.size());
    return bodies_[index];
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  int port() const { return port_; }

 private:
  int port_;
  std::vector<int> statuses_;
  httplib::Server server_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<nlohmann::json> bodies_;
};

}  // namespace zerotask::testing

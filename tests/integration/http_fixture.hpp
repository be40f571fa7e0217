// HttpSystem: a SystemFixture whose broker serves HTTP (--http) on a free port,
// with an HTTP client for the tests of docs/HTTP.md. Every request has a timeout.
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>

#include <string>
#include <vector>

#include "system_fixture.hpp"
#include "webhook_receiver.hpp"

namespace zerotask::testing {

struct HttpSystem : SystemFixture {
  // Starts (or restarts) the broker with --http and waits until /healthz answers.
  void start_http_broker(std::vector<std::string> extra_args = {}) {
    extra_args.insert(extra_args.end(), {"--http", "127.0.0.1:" + std::to_string(http_port)});
    start_broker(extra_args);
    REQUIRE(wait_until([&] {
      auto res = client().Get("/healthz");
      return res && res->status == 200;
    }));
  }
  httplib::Client client() const {
    httplib::Client http("127.0.0.1", http_port);
    http.set_connection_timeout(std::chrono::seconds(5));
    http.set_read_timeout(std::chrono::seconds(10));
    return http;
  }
  httplib::Result get(const std::string& path) const { return client().Get(path); }
  httplib::Result post(const std::string& path, const std::string& body) const {
    return client().Post(path, body, "application/json");
  }
  httplib::Result del(const std::string& path) const { return client().Delete(path); }
  // A task's object once `done(task)` holds, polled with GET /tasks/{id}.
  nlohmann::json task_when(const std::string& id, const std::function<bool(const nlohmann::json&)>& done) const {
    nlohmann::json task;
    bool reached = wait_until([&] {
      auto res = get("/tasks/" + id);
      if (!res || res->status != 200) return false;
      task = nlohmann::json::parse(res->body);
      return done(task);
    });
    INFO(task.dump());
    REQUIRE(reached);
    return task;
  }
  nlohmann::json final_task(const std::string& id) const {
    return task_when(id, [](const nlohmann::json& task) {
      return task["state"] == "SUCCEEDED" || task["state"] == "FAILED" || task["state"] == "CANCELLED";
    });
  }

  int http_port = free_port();
};

// The JSON body of a response that must have come with `status`.
inline nlohmann::json json_of(const httplib::Result& res, int status) {
  REQUIRE(res);
  INFO(res->body);
  CHECK(res->status == status);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  return nlohmann::json::parse(res->body);
}

}  // namespace zerotask::testing

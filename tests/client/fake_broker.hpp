// FakeBroker: enough of a broker (docs/PROTOCOL.md) to test the client against,
// with the test in control of when tasks end.
//
// A ROUTER on a free request endpoint and a PUB on the event endpoint beside it,
// served by one thread that owns both. Functions given to serve() run at once when
// submitted; tasks of functions given to hold() stay RUNNING until the test calls
// finish() or fail(); tasks of any other function stay QUEUED (no node serves it).
// task.submit_many makes each entry's task the same way: dependencies are kept in
// the task object as sent, never waited for. Cancelling a RUNNING task only marks
// it cancel_requested.
// A request whose method has no dot is a direct call of that function. It honours
// idempotency keys and keeps its tasks across stop() and start(), as a broker with
// a durable store would.
// Schedules and limits are kept and checked as the broker checks them (exactly one
// of cron and interval_ms, no task field a schedule cannot take; at least one of
// rate_per_s and concurrency, burst only with rate_per_s), but a schedule never
// runs: its next_run_at is always kFakeNextRunAt, and limits hold nothing back.
// event.emit makes a task only for an event given to on_event().
// Every public member function is thread-safe: it runs on the fake's thread and
// returns when done.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "zerotask/json_rpc.hpp"

namespace zerotask::testing {

class FakeBroker {
 public:
  // The next_run_at of every schedule: 2026-11-24T03:00:00.000Z.
  static constexpr std::int64_t kFakeNextRunAt = 1795489200000;

  // Returns the task's result, or throws zerotask::RpcError for a failure.
  using Function = std::function<json(const json& params)>;

  // Binds `endpoint` (and its default event endpoint); a fresh free pair when empty.
  explicit FakeBroker(std::string endpoint = "");
  ~FakeBroker();
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  const std::string& event_endpoint() const { return event_endpoint_; }

  void serve(const std::string& function, Function body);
  void hold(const std::string& function);
  // An event.emit of exactly `event` makes one task of `function`, with the event's
  // data (when given) as its one param; any other event makes none.
  void on_event(const std::string& event, const std::string& function);
  // task.wait answers with the task as it is after at most `cap`, however long the
  // client asked to wait (as a broker does once timeout_ms passes).
  void cap_waits(std::chrono::milliseconds cap);
  // Sends unreadable and unmatched messages to a peer before each answer.
  void send_garbage_before_answers();
  // Handles requests of `method` but drops their answers, as a broker that dies
  // after storing and before answering, until the next stop().
  void drop_answers_to(const std::string& method);
  // Answers every request of `method` with `error`, as a broker at one of its
  // limits does.
  void refuse(const std::string& method, rpc::Error error);
  // stop() closes the request endpoint, as a broker that dies: connections drop and
  // calls waiting for an answer are forgotten; tasks and keys are kept. start()
  // binds it again.
  void stop();
  // Answers every call waiting for an answer with the error a broker gives them when
  // it is shut down ("the broker is stopping"), then stop().
  void stop_gracefully();
  void start();

  // Ids of the tasks of `function`, in the order they were submitted.
  std::vector<std::string> tasks_of(const std::string& function);
  json task(const std::string& id);
  void finish(const std::string& id, json result);
  // Finishes every unfinished task of `function`, newest first, with the result of
  // `result_of(params)`.
  void finish_all(const std::string& function, const Function& result_of);
  void fail(const std::string& id, rpc::Error error);
  // Ends the task CANCELLED with `error`, as a broker does when a dependency failed.
  void cancel(const std::string& id, rpc::Error error);
  void publish_progress(const std::string& id, json progress);
  // Adds a partial result to the task's "partials" and publishes it with its index;
  // keep_partial() only adds it, as when its event is lost.
  void stream_partial(const std::string& id, json partial);
  void keep_partial(const std::string& id, json partial);
  // How many requests of `method` arrived, and the params of the last one.
  int requests(const std::string& method);
  json last_params(const std::string& method);

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
  std::string endpoint_;
  std::string event_endpoint_;
};

}  // namespace zerotask::testing

// Submitter: a raw DEALER on its own thread that submits `effect` tasks with
// task.submit_many (or task.submit), knowing exactly which keys the broker
// acknowledged. It owns its socket and thread; the accessors marked "after join()"
// are for the thread that joined it, acknowledged_so_far() for any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

namespace zerotask::fault {

using nlohmann::json;

struct SubmitterOptions {
  std::string endpoint;
  std::string prefix = "k";                       // keys are "<prefix>-<n>"
  int total = 1000;                               // tasks
  int batch = 10;                                 // tasks per request: 1 sends task.submit, more task.submit_many
  int window = 4;                                 // requests in flight
  std::chrono::milliseconds interval{0};          // pause between two requests
  std::chrono::milliseconds reply_timeout{2000};  // an unanswered request stops holding a window slot
  std::chrono::milliseconds final_wait{3000};     // how long to wait for the last replies
  int effect_ms = 0;
};

// Submits `total` effect tasks on its own thread and its own DEALER. A key is
// acknowledged when the reply carrying its task id arrives (however late, until
// the submitter finishes); every key is sent exactly once, without an idempotency
// key, so the broker cannot merge two sendings of one key.
class Submitter {
 public:
  Submitter(zmq::context_t& context, SubmitterOptions options);
  ~Submitter();  // stops and joins
  Submitter(const Submitter&) = delete;
  Submitter& operator=(const Submitter&) = delete;

  void stop() { stop_ = true; }
  void join();
  bool finished() const { return finished_; }

  // Valid after join().
  const std::set<std::string>& sent() const { return sent_; }
  const std::set<std::string>& acknowledged() const { return acknowledged_; }
  const std::map<std::string, std::string>& task_of_key() const { return task_of_key_; }
  const std::map<int, int>& errors_by_code() const { return errors_by_code_; }
  const std::map<int, json>& first_error_by_code() const { return first_error_by_code_; }
  int unanswered() const { return unanswered_; }
  int malformed_replies() const { return malformed_replies_; }
  // What stopped the submitter early (an exception from ZeroMQ), or empty.
  const std::string& failure() const { return failure_; }
  std::chrono::milliseconds elapsed() const { return elapsed_; }

  // Safe from any thread while it runs.
  int acknowledged_so_far() const { return acknowledged_count_; }

 private:
  void run();
  void submit_all();
  void handle_reply(const std::string& body);

  zmq::context_t& context_;
  SubmitterOptions options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int> acknowledged_count_{0};
  std::map<int, std::vector<std::string>> requests_;  // id -> keys, until answered
  std::set<std::string> sent_;
  std::set<std::string> acknowledged_;
  std::map<std::string, std::string> task_of_key_;
  std::map<int, int> errors_by_code_;
  std::map<int, json> first_error_by_code_;
  int unanswered_ = 0;
  int malformed_replies_ = 0;
  std::chrono::milliseconds elapsed_{0};
  std::string failure_;
  std::thread thread_;  // last: it starts once everything above is constructed
};

}  // namespace zerotask::fault

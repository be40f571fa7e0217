// libFuzzer target for the broker's request dispatcher: RequestHandler::handle_frame()
// over a Scheduler with a MemoryTaskStore and an Outbox, driven as the broker loop
// drives them (broker/src/broker_loop.cpp), without sockets. A fresh broker per input.
//
// An input is a conversation, one line ('\n') per step. A line's first byte says
// what the step is:
//   '+' DIGITS  the clock moves on by DIGITS milliseconds (1000 without digits), so
//               heartbeats, node liveness, retries, task.wait timeouts and forgetting
//               finished tasks happen;
//   '!'         the store starts failing its commits, or recovers (as the loop
//               tells the scheduler when a commit fails or succeeds again);
//   '@'         the broker restarts over the same store (recovery, orphaned leases);
//   any other   a frame from peer (byte % 4), over a DEALER when (byte / 4) is even,
//               over a REQ (with the empty delimiter frame) when odd: '0'..'3' are
//               peers 0..3 over DEALER, '4'..'7' the same peers over REQ. The rest of
//               the line is the frame's body. Any peer becomes a node by saying
//               node.hello, so node methods are reached too.
// Task ids come from the broker's clock and cannot be guessed, so in a body "$0" ..
// "$9" stand for the task ids the broker has sent so far, most recent first (node.done,
// task.get and task.cancel then name real tasks).
//
// After each step, as at the end of a loop turn: dispatch(), tick(), commit, and the
// Outbox is drained. Every message must go to a peer that has sent something and be
// valid JSON, a node.run within the broker's max_message_bytes; every event must be
// valid JSON. At the end the broker shuts down
// (waiting callers are answered) and is drained once more. Anything thrown out of
// the handler or the scheduler, a sanitizer report or a broken check is a crash.
//
// To see a conversation (a reproducer, say), replay it with ZEROTASK_FUZZ_TRACE=1 in
// the environment: every step and everything the broker sends goes to stderr.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "outbox.hpp"
#include "periodic_schedules.hpp"
#include "rule_engine.hpp"
#include "request_handler.hpp"
#include "scheduler.hpp"
#include "store/memory_task_store.hpp"
#include "zerotask/json_rpc.hpp"
#include "zerotask/limits.hpp"
#include "zerotask/log.hpp"
#include "zerotask/task_id.hpp"

namespace {

using namespace zerotask;
using namespace zerotask::broker;
using namespace std::chrono_literals;

constexpr std::size_t kPeers = 4;
constexpr std::size_t kRememberedIds = 10;
constexpr std::int64_t kMaxStepMs = 24LL * 3600 * 1000;
constexpr std::int64_t kMaxMessageBytes = 2048;  // the broker's, small so that node.run is split

// Rules on the functions and events the corpus uses, so that inputs reach them.
constexpr const char* kRules = R"({"rules": [
  {"name": "after-add", "task": "^(?<f>add)$", "make": {"function": "echo", "params": ["${f}", "${result}"]}},
  {"name": "on-upload", "event": "^upload:(?<file>.+)$", "make": {"function": "${file}", "params": {"data": "${data}"}}}
]})";

bool trace = false;  // ZEROTASK_FUZZ_TRACE is set

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "request_handler_fuzzer: check failed: %s\n", what);
  std::abort();
}

// The broker under test: a store that outlives the Scheduler and RequestHandler
// built over it, as the SQLite store outlives a broker process.
struct Harness {
  explicit Harness(SteadyTime time) : now(time) {
    outbox.subscribe("");  // a watcher of every topic: every event is built
    start();
  }

  // (Re)starts the broker over the store, as after a crash: what was only in memory
  // (waiting callers, nodes) is gone. The one place that knows the constructors:
  // adapt it when they change.
  void start() {
    handler.reset();
    rules.reset();
    schedules.reset();
    scheduler.reset();
    SchedulerConfig config;
    config.epoch = "fuzz-epoch-" + std::to_string(starts++);  // a new one per run, as make_epoch() gives
    config.heartbeat_interval = 100ms;
    config.liveness = 3;
    config.keep_finished = 1000ms;
    config.keep_failed = 2000ms;
    config.max_depth = kDefaultMaxDepth;
    // Short backoffs and small limits, so that short inputs reach retries and
    // "overloaded".
    config.retry_backoff = 10ms;
    config.retry_backoff_max = 100ms;
    config.max_message_bytes = kMaxMessageBytes;
    config.max_queued = 16;
    config.max_payload_bytes = 256;
    config.max_waiting_per_peer = 4;
    scheduler = std::make_unique<Scheduler>(store, outbox, config, now);
    std::map<std::string, BrokerMethod, std::less<>> custom;
    custom.emplace("broker.echo", [](const json& params) { return params; });
    schedules = std::make_unique<PeriodicSchedules>(store, *scheduler, now);
    rules = std::make_unique<RuleEngine>(Rules::parse(kRules, "fuzz rules"), *scheduler);
    handler = std::make_unique<RequestHandler>(*scheduler, *schedules, *rules, outbox, kDefaultMaxDepth, std::move(custom));
  }

  SteadyTime now;
  int starts = 0;
  MemoryTaskStore store;
  Outbox outbox;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<PeriodicSchedules> schedules;
  std::unique_ptr<RuleEngine> rules;
  std::unique_ptr<RequestHandler> handler;
};

class Conversation {
 public:
  // Starts at the real time: the Scheduler stamps finished tasks and retries with
  // std::chrono::steady_clock::now() itself, not with the time it is given.
  Conversation() : broker_(std::chrono::steady_clock::now()) {}

  void step(std::string_view line) {
    if (line.empty()) return;
    if (trace) std::fprintf(stderr, "step: %.*s\n", static_cast<int>(line.size()), line.data());
    if (line.front() == '+') {
      broker_.now += std::chrono::milliseconds(read_ms(line.substr(1)));
    } else if (line.front() == '!') {
      store_available_ = !store_available_;
      broker_.scheduler->set_store_available(store_available_, store_available_ ? "" : "disk full (fuzz)");
    } else if (line.front() == '@') {
      broker_.start();
      store_available_ = true;
    } else {
      auto selector = static_cast<unsigned char>(line.front());
      Envelope envelope = Envelope::for_routing_id("peer" + std::to_string(selector % kPeers));
      if ((selector / kPeers) % 2 == 1) envelope.append_frame("");
      remember(envelope);
      broker_.handler->handle_frame(envelope, with_task_ids(line.substr(1)), broker_.now);
    }
    broker_.scheduler->dispatch();
    broker_.schedules->tick(broker_.now);
    broker_.scheduler->tick(broker_.now);
    broker_.rules->apply();
    broker_.scheduler->next_deadline();
    drain();
  }

  void finish() {
    broker_.scheduler->shutdown();
    drain();
  }

 private:
  static std::int64_t read_ms(std::string_view text) {
    if (text.empty() || text.front() < '0' || text.front() > '9') return 1000;
    std::int64_t ms = 0;
    for (char c : text) {
      if (c < '0' || c > '9') break;
      ms = std::min(kMaxStepMs, ms * 10 + (c - '0'));
    }
    return ms;
  }

  // The body with "$0".."$9" replaced by the task ids seen so far.
  std::string with_task_ids(std::string_view body) const {
    std::string out;
    out.reserve(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '$' && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '9' && !ids_.empty()) {
        auto back = static_cast<std::size_t>(body[i + 1] - '0') % ids_.size();
        out += format_task_id(ids_[ids_.size() - 1 - back]);
        ++i;
      } else {
        out += body[i];
      }
    }
    return out;
  }

  void remember(const Envelope& envelope) {
    std::string id(envelope.routing_id());
    if (std::find(routing_ids_.begin(), routing_ids_.end(), id) == routing_ids_.end()) routing_ids_.push_back(id);
  }

  void remember_task_id(const json& value) {
    if (!value.is_string()) return;
    auto id = parse_task_id(value.get_ref<const std::string&>());
    if (!id) return;
    ids_.erase(std::remove(ids_.begin(), ids_.end(), *id), ids_.end());
    ids_.push_back(*id);
    if (ids_.size() > kRememberedIds) ids_.erase(ids_.begin());
  }

  // Collects the task ids a message names: {"id": ...} members and "ids" arrays.
  void collect_task_ids(const json& value, int depth) {
    if (depth > 8) return;
    if (value.is_object()) {
      for (const auto& [key, member] : value.items()) {
        if (key == "id") remember_task_id(member);
        if (key == "ids" && member.is_array()) {
          for (const auto& id : member) remember_task_id(id);
        }
        collect_task_ids(member, depth + 1);
      }
    } else if (value.is_array()) {
      for (const auto& element : value) collect_task_ids(element, depth + 1);
    }
  }

  void drain() {
    std::vector<OutgoingMessage> messages = broker_.outbox.take_hand_outs();
    broker_.store.commit();
    for (auto& message : broker_.outbox.take_messages()) messages.push_back(std::move(message));
    for (auto& message : messages) {
      require(std::find(routing_ids_.begin(), routing_ids_.end(), message.to.routing_id()) != routing_ids_.end(),
              "a message goes to a peer that has sent something");
      if (trace) {
        std::fprintf(stderr, "  -> %.*s: %s\n", static_cast<int>(message.to.routing_id().size()),
                     message.to.routing_id().data(), message.body.c_str());
      }
      json body = json::parse(message.body, nullptr, false);
      require(!body.is_discarded(), "a message is valid JSON");
      require(body.is_object() || (body.is_array() && !body.empty()), "a message is an object or a non-empty batch");
      if (auto method = body.find("method"); method != body.end() && *method == "node.run") {
        require(message.body.size() <= static_cast<std::size_t>(kMaxMessageBytes),
                "node.run stays within max_message_bytes");
      }
      collect_task_ids(body, 0);
    }
    for (auto& event : broker_.outbox.take_events()) {
      if (trace) std::fprintf(stderr, "  event %s: %s\n", event.topic.c_str(), event.body.c_str());
      require(!json::parse(event.body, nullptr, false).is_discarded(), "an event is valid JSON");
    }
  }

  Harness broker_;
  bool store_available_ = true;
  std::vector<std::string> routing_ids_;
  std::vector<TaskId> ids_;  // oldest first
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  set_log_level(LogLevel::Error);
  trace = std::getenv("ZEROTASK_FUZZ_TRACE") != nullptr;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Conversation conversation;
  while (!input.empty()) {
    auto end = input.find('\n');
    conversation.step(input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
  }
  conversation.finish();
  return 0;
}

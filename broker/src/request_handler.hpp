// RequestHandler: turns one frame from the request endpoint into calls on the
// Scheduler and answers in the Outbox. Validates everything a peer sends (docs/
// PROTOCOL.md, sections 2, 4 and 5); any exception from a method becomes a
// JSON-RPC error and never leaves handle_frame(). Loop thread only.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "outbox.hpp"
#include "periodic_schedules.hpp"
#include "rule_engine.hpp"
#include "scheduler.hpp"
#include "security/access_keys.hpp"
#include "security/throttled_log.hpp"
#include "task_spec.hpp"
#include "zerotask/broker.hpp"

namespace zerotask::broker {

class RequestHandler {
 public:
  RequestHandler(Scheduler& scheduler, PeriodicSchedules& schedules, RuleEngine& rules, Outbox& outbox,
                 std::size_t max_depth, std::map<std::string, BrokerMethod, std::less<>> custom_methods);

  // `caller`: the key the peer connected with (its role decides what it may call,
  // docs/SECURITY.md); nullptr for a broker without CURVE and the broker's own peers.
  void handle_frame(const Envelope& envelope, std::string_view body, SteadyTime now, const AccessKey* caller = nullptr);

  // True for a name a custom method may not take (a built-in broker.* method).
  static bool is_builtin(std::string_view method);

 private:
  // Handlers may move values out of `request` (params), never its method.
  void handle(rpc::Request& request, const std::optional<ReplyTo>& reply_to, std::string_view routing_id,
              const AccessKey* caller, SteadyTime now);
  // Returns the result to send now, or nullopt when the answer comes later.
  std::optional<json> call(rpc::Request& request, const std::optional<ReplyTo>& reply_to, std::string_view routing_id,
                           const AccessKey* caller, SteadyTime now);
  std::optional<json> call_task_method(rpc::Request& request, const std::optional<ReplyTo>& reply_to,
                                       const Submitter& submitter, SteadyTime now);
  std::optional<json> call_node_method(const rpc::Request& request, const std::string& routing_id,
                                       const AccessKey* caller, SteadyTime now);
  std::optional<json> call_broker_method(const rpc::Request& request, const std::optional<ReplyTo>& reply_to,
                                         SteadyTime now);
  json call_schedule_method(const rpc::Request& request);
  // Throws unauthorized for `reason`, logged unless the same was logged lately.
  [[noreturn]] void refuse(const std::string& reason, SteadyTime now);
  // A task spec, checked, with require_node applied.
  TaskSpec read_spec(json& spec, std::size_t batch_size) const;
  json submit_many(json& spec, const Submitter& submitter);

  Scheduler& scheduler_;
  PeriodicSchedules& schedules_;
  RuleEngine& rules_;
  Outbox& outbox_;
  rpc::DecodeLimits limits_;
  std::map<std::string, BrokerMethod, std::less<>> custom_methods_;
  ThrottledLog refusals_{std::chrono::seconds(10)};
};

}  // namespace zerotask::broker

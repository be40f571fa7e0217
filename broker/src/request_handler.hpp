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
#include "task_spec.hpp"
#include "zerotask/broker.hpp"

namespace zerotask::broker {

class RequestHandler {
 public:
  RequestHandler(Scheduler& scheduler, PeriodicSchedules& schedules, RuleEngine& rules, Outbox& outbox,
                 std::size_t max_depth, std::map<std::string, BrokerMethod, std::less<>> custom_methods);

  void handle_frame(const Envelope& envelope, std::string_view body, SteadyTime now);

  // True for a name a custom method may not take (a built-in broker.* method).
  static bool is_builtin(std::string_view method);

 private:
  // Handlers may move values out of `request` (params), never its method.
  void handle(rpc::Request& request, const std::optional<ReplyTo>& reply_to, std::string_view routing_id,
              SteadyTime now);
  // Returns the result to send now, or nullopt when the answer comes later.
  std::optional<json> call(rpc::Request& request, const std::optional<ReplyTo>& reply_to, std::string_view routing_id,
                           SteadyTime now);
  std::optional<json> call_task_method(rpc::Request& request, const std::optional<ReplyTo>& reply_to, SteadyTime now);
  std::optional<json> call_node_method(const rpc::Request& request, const std::string& routing_id, SteadyTime now);
  std::optional<json> call_broker_method(const rpc::Request& request, const std::optional<ReplyTo>& reply_to,
                                         SteadyTime now);
  json call_schedule_method(const rpc::Request& request);
  // A task spec, checked, with require_node applied.
  TaskSpec read_spec(json& spec, std::size_t batch_size) const;
  json submit_many(json& spec);

  Scheduler& scheduler_;
  PeriodicSchedules& schedules_;
  RuleEngine& rules_;
  Outbox& outbox_;
  rpc::DecodeLimits limits_;
  std::map<std::string, BrokerMethod, std::less<>> custom_methods_;
};

}  // namespace zerotask::broker

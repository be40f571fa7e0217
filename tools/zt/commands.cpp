#include "commands.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <zmq.hpp>

#include "arguments.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "zerotask/client.hpp"
#include "zerotask/socket_options.hpp"
#include "zerotask/task_state.hpp"

namespace zerotask::zt {
namespace {

using Clock = std::chrono::steady_clock;

// How often `zt watch` reads the task's state in case events were missed.
constexpr std::chrono::milliseconds kWatchPoll{1000};
constexpr std::size_t kMaxEventDepth = 64;

ClientOptions client_options(const GlobalOptions& global) {
  ClientOptions options;
  options.event_endpoint = global.events;
  if (global.timeout_ms > 0) options.call_timeout = std::chrono::milliseconds(global.timeout_ms);
  return options;
}

std::chrono::milliseconds request_timeout(const GlobalOptions& global) {
  return std::chrono::milliseconds(global.timeout_ms);
}

void print_json(std::ostream& out, const json& value) {
  out << rpc::to_text(value) << '\n';
}

[[noreturn]] void rethrow_not_found(const ProtocolError& error, const std::string& id) {
  if (error.code() == rpc::kNotFound) throw ProtocolError(rpc::kNotFound, "no task " + id, error.data());
  throw;
}

// A request about one task, with not_found worded for people.
json task_request(Client& client, const GlobalOptions& global, const std::string& method, const std::string& id) {
  try {
    return client.request(method, {{"id", id}}, request_timeout(global));
  } catch (const ProtocolError& error) {
    rethrow_not_found(error, id);
  }
}

std::string state_of(const json& task) {
  if (!task.is_object()) return "";
  auto state = task.find("state");
  return state != task.end() && state->is_string() ? state->get<std::string>() : "";
}

bool is_final_task(const json& task) {
  auto state = parse_task_state(state_of(task));
  return state && is_final(*state);
}

// The outcome of a final task: prints the result of one that succeeded, throws
// TaskFailed or Cancelled for the others.
int finish(const GlobalOptions& global, const json& task, const std::string& id, std::ostream& out) {
  std::string state = state_of(task);
  if (state == "FAILED") {
    json error = task.value("error", json::object());
    json data = error.is_object() ? error.value("data", json::object()) : json::object();
    if (!data.is_object()) data = json::object();
    data["task"] = id;
    int code = error.is_object() ? error.value("code", static_cast<int>(rpc::kTaskFailed)) : rpc::kTaskFailed;
    std::string message = error.is_object() ? error.value("message", std::string("failed")) : "failed";
    throw TaskFailed(code, message, data);
  }
  if (state == "CANCELLED") throw Cancelled(rpc::kCancelled, "task " + id + " was cancelled", {{"task", id}});
  if (!global.json) out << format_value(task.value("result", json())) << '\n';
  return kOk;
}

// One event from the SUB socket: its JSON body, or a discarded value.
json read_event(zmq::socket_t& sub) {
  zmq::message_t topic;
  zmq::message_t body;
  if (!sub.recv(topic, zmq::recv_flags::dontwait) || !topic.more()) return json(json::value_t::discarded);
  if (!sub.recv(body, zmq::recv_flags::dontwait)) return json(json::value_t::discarded);
  for (bool more = body.more(); more;) {
    zmq::message_t rest;
    if (!sub.recv(rest, zmq::recv_flags::dontwait)) break;
    more = rest.more();
  }
  if (rpc::nesting_exceeds(body.to_string_view(), kMaxEventDepth)) return json(json::value_t::discarded);
  return json::parse(body.to_string_view(), nullptr, false);
}

json submit_params(const TaskArguments& task, json params) {
  json submit = json::object();
  submit["function"] = task.function;
  submit["params"] = std::move(params);
  if (task.require_node) submit["require_node"] = true;
  if (task.max_retries) submit["max_retries"] = *task.max_retries;
  if (task.task_timeout_ms) submit["timeout_ms"] = *task.task_timeout_ms;
  if (!task.idempotency_key.empty()) submit["idempotency_key"] = task.idempotency_key;
  return submit;
}

}  // namespace

int run_call(const GlobalOptions& global, const TaskArguments& task, std::ostream& out) {
  json params = call_params(task.args, task.params);
  Client client(global.broker, client_options(global));
  CallOptions options;
  options.timeout = request_timeout(global);
  options.require_node = task.require_node;
  options.max_retries = task.max_retries;
  if (task.task_timeout_ms) options.task_timeout = std::chrono::milliseconds(*task.task_timeout_ms);
  options.idempotency_key = task.idempotency_key;
  json result = client.call_params(task.function, std::move(params), options);
  if (global.json) {
    print_json(out, result);
  } else {
    out << format_value(result) << '\n';
  }
  return kOk;
}

int run_submit(const GlobalOptions& global, const TaskArguments& task, std::ostream& out) {
  json params = call_params(task.args, task.params);
  Client client(global.broker, client_options(global));
  json ack = client.request("task.submit", submit_params(task, std::move(params)), request_timeout(global));
  if (global.json) {
    print_json(out, ack);
    return kOk;
  }
  if (!ack.is_object() || !ack.contains("id") || !ack["id"].is_string()) {
    throw ProtocolError(rpc::kInternalError, "malformed answer from the broker: task.submit returned no task id");
  }
  out << ack["id"].get<std::string>() << '\n';
  return kOk;
}

int run_status(const GlobalOptions& global, const std::string& id, std::ostream& out) {
  require_task_id(id);
  Client client(global.broker, client_options(global));
  json task = task_request(client, global, "task.get", id);
  if (global.json) {
    print_json(out, task);
  } else {
    out << format_status(task);
  }
  return kOk;
}

int run_wait(const GlobalOptions& global, const std::string& id, std::ostream& out) {
  require_task_id(id);
  Client client(global.broker, client_options(global));
  TaskFuture future = client.attach(id);
  if (global.timeout_ms > 0 && !future.wait(request_timeout(global))) {
    throw TimedOut(rpc::kTimedOut, "task " + id + " is not finished after " + std::to_string(global.timeout_ms) + " ms",
                   {{"task", id}});
  }
  json result;
  try {
    result = future.result();
  } catch (const ProtocolError& error) {
    rethrow_not_found(error, id);
  }
  if (global.json) {
    print_json(out, result);
  } else {
    out << format_value(result) << '\n';
  }
  return kOk;
}

int run_watch(const GlobalOptions& global, const std::string& id, std::ostream& out) {
  require_task_id(id);
  std::string events = event_endpoint(global.broker, global.events);
  zmq::context_t context;
  zmq::socket_t sub(context, zmq::socket_type::sub);
  apply_socket_limits(sub, SocketLimits{});
  try {
    sub.connect(events);
  } catch (const zmq::error_t& error) {
    throw UsageError("cannot connect to the event endpoint '" + events + "': " + error.what());
  }
  // Subscribed before the state is read, so that no change falls between the two.
  sub.set(zmq::sockopt::subscribe, "task." + id);
  Client client(global.broker, client_options(global));

  const Clock::time_point deadline =
      global.timeout_ms > 0 ? Clock::now() + std::chrono::milliseconds(global.timeout_ms) : Clock::time_point::max();
  std::string last_line;
  auto show = [&](const json& task) {
    std::string line = task_line(task);
    if (line == last_line) return;
    last_line = line;
    if (global.json) {
      print_json(out, task);
    } else {
      out << line << '\n';
    }
    out.flush();
  };

  json task = task_request(client, global, "task.get", id);
  show(task);
  while (!is_final_task(task)) {
    Clock::time_point now = Clock::now();
    const Clock::time_point next_read = std::min(now + kWatchPoll, deadline);
    bool ended = false;
    while (!ended && now < next_read) {
      zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, std::chrono::ceil<std::chrono::milliseconds>(next_read - now));
      } catch (const zmq::error_t& error) {
        if (error.num() != EINTR) throw;
      }
      if (item.revents & ZMQ_POLLIN) {
        json event = read_event(sub);
        // A final event carries no full task: the state read below does.
        if (is_final_task(event)) {
          ended = true;
        } else if (event.is_object()) {
          show(event);
        }
      }
      now = Clock::now();
    }
    if (!ended && now >= deadline) {
      throw TimedOut(rpc::kTimedOut,
                     "task " + id + " is not finished after " + std::to_string(global.timeout_ms) + " ms",
                     {{"task", id}});
    }
    task = task_request(client, global, "task.get", id);
    show(task);
  }
  return finish(global, task, id, out);
}

int run_task_change(const GlobalOptions& global, const char* method, const std::string& id, std::ostream& out) {
  require_task_id(id);
  Client client(global.broker, client_options(global));
  json task = task_request(client, global, method, id);
  if (global.json) {
    print_json(out, task);
  } else {
    out << task_line(task) << '\n';
  }
  return kOk;
}

namespace {

// stats, nodes and functions: one broker.* request, printed as JSON or as text.
int run_broker_query(const GlobalOptions& global, const char* method, std::string (*format)(const json&),
                     std::ostream& out) {
  Client client(global.broker, client_options(global));
  json answer = client.request(method, nullptr, request_timeout(global));
  if (global.json) {
    print_json(out, answer);
  } else {
    out << format(answer);
  }
  return kOk;
}

}  // namespace

int run_stats(const GlobalOptions& global, std::ostream& out) {
  return run_broker_query(global, "broker.stats", format_stats, out);
}

int run_nodes(const GlobalOptions& global, std::ostream& out) {
  return run_broker_query(global, "broker.nodes", format_nodes, out);
}

int run_functions(const GlobalOptions& global, std::ostream& out) {
  return run_broker_query(global, "broker.functions", format_functions, out);
}

int run_list(const GlobalOptions& global, const ListArguments& list, std::ostream& out) {
  json params = json::object();
  if (!list.state.empty()) params["state"] = state_name(list.state);
  if (!list.function.empty()) params["function"] = list.function;
  if (list.limit > 0) params["limit"] = list.limit;
  if (list.offset > 0) params["offset"] = list.offset;
  Client client(global.broker, client_options(global));
  json tasks = client.request("task.list", std::move(params), request_timeout(global));
  if (global.json) {
    print_json(out, tasks);
  } else {
    out << format_list(tasks);
  }
  return kOk;
}

int run_ping(const GlobalOptions& global, std::ostream& out) {
  Client client(global.broker, client_options(global));
  Clock::time_point sent = Clock::now();
  json pong = client.request("broker.ping", nullptr, request_timeout(global));
  auto round_trip = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent);
  if (global.json) {
    print_json(out, pong);
  } else {
    out << format_ping(client.broker_endpoint(), pong, round_trip);
  }
  return kOk;
}

int run_guarded(const std::function<int()>& command, std::ostream& err) {
  auto fail = [&err](int code, const std::string& message) {
    err << "zt: " << message << '\n';
    return code;
  };
  try {
    return command();
  } catch (const TaskFailed& error) {
    return fail(kTaskFailed, describe_error(error));
  } catch (const Cancelled& error) {
    return fail(kTaskFailed, describe_error(error));
  } catch (const BrokerUnreachable& error) {
    return fail(kUnreachable, describe_error(error));
  } catch (const TimedOut& error) {
    return fail(kTimedOut, describe_error(error));
  } catch (const BrokerBusy& error) {
    return fail(kBusy, describe_error(error));
  } catch (const ProtocolError& error) {
    return fail(kRefused, describe_error(error));
  } catch (const UsageError& error) {
    return fail(kUsage, error.what());
  } catch (const std::invalid_argument& error) {
    return fail(kUsage, error.what());
  } catch (const std::exception& error) {
    return fail(kTaskFailed, error.what());
  }
}

}  // namespace zerotask::zt

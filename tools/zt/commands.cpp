#include "commands.hpp"

#include <chrono>

#include "arguments.hpp"
#include "command_support.hpp"
#include "exit_codes.hpp"
#include "json_fields.hpp"
#include "output.hpp"
#include "zerotask/client.hpp"

namespace zerotask::zt {

int run_call(const GlobalOptions& global, const TaskArguments& task, std::ostream& out) {
  json params = call_params(task.args, task.params);
  CallOptions options;
  static_cast<SubmitOptions&>(options) = submit_options(task);
  options.timeout = request_timeout(global);
  Client client(global.broker, client_options(global));
  print_result(global, out, client.call_params(task.function, std::move(params), options));
  return kOk;
}

int run_submit(const GlobalOptions& global, const TaskArguments& task, std::ostream& out) {
  json submit = submit_request_params(task.function, call_params(task.args, task.params), submit_options(task));
  Client client(global.broker, client_options(global));
  json ack = client.request("task.submit", std::move(submit), request_timeout(global));
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
  return run_request_about(global, "task.get", {{"id", id}}, "task " + id, format_status, out);
}

int run_wait(const GlobalOptions& global, const std::string& id, std::ostream& out) {
  require_task_id(id);
  Client client(global.broker, client_options(global));
  TaskFuture future = client.attach(id);
  wait_for_timeout(global, future, "task " + id);
  json result;
  try {
    result = future.result();
  } catch (const ProtocolError& error) {
    rethrow_not_found(error, "task " + id);
  }
  print_result(global, out, result);
  return kOk;
}

int run_task_change(const GlobalOptions& global, const char* method, const std::string& id, std::ostream& out) {
  require_task_id(id);
  Client client(global.broker, client_options(global));
  json task = task_request(client, global, method, id);
  if (global.json) {
    print_json(out, task);
  } else {
    out << paint(task_line(task), state_colour(field(task, "state")), global.terminal) << '\n';
  }
  return kOk;
}

int run_stats(const GlobalOptions& global, std::ostream& out) {
  return run_request(global, "broker.stats", nullptr, format_stats, out);
}

int run_nodes(const GlobalOptions& global, std::ostream& out) {
  return run_request(global, "broker.nodes", nullptr, format_nodes, out);
}

int run_functions(const GlobalOptions& global, std::ostream& out) {
  return run_request(global, "broker.functions", nullptr, format_functions, out);
}

int run_list(const GlobalOptions& global, const ListArguments& list, std::ostream& out) {
  json params = json::object();
  if (!list.state.empty()) params["state"] = state_name(list.state);
  if (!list.function.empty()) params["function"] = list.function;
  if (list.limit > 0) params["limit"] = list.limit;
  if (list.offset > 0) params["offset"] = list.offset;
  return run_request(global, "task.list", std::move(params), format_list, out);
}

int run_ping(const GlobalOptions& global, std::ostream& out) {
  Client client(global.broker, client_options(global));
  auto sent = std::chrono::steady_clock::now();
  json pong = client.request("broker.ping", nullptr, request_timeout(global));
  auto round_trip = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - sent);
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

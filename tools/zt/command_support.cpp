#include "command_support.hpp"

#include <algorithm>

#include "arguments.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "zerotask/curve.hpp"

namespace zerotask::zt {

ClientOptions client_options(const GlobalOptions& global) {
  ClientOptions options;
  options.event_endpoint = global.events;
  if (global.timeout_ms > 0) {
    options.call_timeout = std::chrono::milliseconds(global.timeout_ms);
    // A broker that is restarting may take that long to come back, too.
    options.connect_timeout = std::max(options.connect_timeout, options.call_timeout);
  }
  try {
    options.curve = resolve_curve_credentials(global.curve_key_file, global.broker_key_file);
  } catch (const std::runtime_error& error) {
    throw UsageError(error.what());
  }
  return options;
}

std::chrono::milliseconds request_timeout(const GlobalOptions& global) {
  return std::chrono::milliseconds(global.timeout_ms);
}

void print_json(std::ostream& out, const json& value) {
  out << rpc::to_text(value) << '\n';
}

void print_result(const GlobalOptions& global, std::ostream& out, const json& result) {
  if (global.json) {
    print_json(out, result);
  } else {
    out << format_value(result) << '\n';
  }
}

void print_answer(const GlobalOptions& global, std::ostream& out, const json& answer, Format format) {
  if (global.json) {
    print_json(out, answer);
  } else {
    out << format(answer, global.terminal);
  }
}

int run_request(const GlobalOptions& global, const std::string& method, json params, Format format, std::ostream& out) {
  Client client(global.broker, client_options(global));
  print_answer(global, out, client.request(method, std::move(params), request_timeout(global)), format);
  return kOk;
}

void rethrow_not_found(const ProtocolError& error, const std::string& subject) {
  if (error.code() == rpc::kNotFound) throw ProtocolError(rpc::kNotFound, "no " + subject, error.data());
  throw;
}

json request_about(Client& client, const GlobalOptions& global, const std::string& method, json params,
                   const std::string& subject) {
  try {
    return client.request(method, std::move(params), request_timeout(global));
  } catch (const ProtocolError& error) {
    rethrow_not_found(error, subject);
  }
}

int run_request_about(const GlobalOptions& global, const std::string& method, json params, const std::string& subject,
                      Format format, std::ostream& out) {
  Client client(global.broker, client_options(global));
  print_answer(global, out, request_about(client, global, method, std::move(params), subject), format);
  return kOk;
}

json task_request(Client& client, const GlobalOptions& global, const std::string& method, const std::string& id) {
  return request_about(client, global, method, {{"id", id}}, "task " + id);
}

}  // namespace zerotask::zt

#include "command_support.hpp"

#include "output.hpp"

namespace zerotask::zt {

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

void print_result(const GlobalOptions& global, std::ostream& out, const json& result) {
  if (global.json) {
    print_json(out, result);
  } else {
    out << format_value(result) << '\n';
  }
}

void rethrow_not_found(const ProtocolError& error, const std::string& id) {
  if (error.code() == rpc::kNotFound) throw ProtocolError(rpc::kNotFound, "no task " + id, error.data());
  throw;
}

json task_request(Client& client, const GlobalOptions& global, const std::string& method, const std::string& id) {
  try {
    return client.request(method, {{"id", id}}, request_timeout(global));
  } catch (const ProtocolError& error) {
    rethrow_not_found(error, id);
  }
}

}  // namespace zerotask::zt

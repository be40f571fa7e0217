// What the zt subcommands share: the Client they connect, --timeout, and how they
// print. Used from the thread running the subcommand.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "commands.hpp"
#include "zerotask/client.hpp"

namespace zerotask::zt {

ClientOptions client_options(const GlobalOptions& global);

// --timeout as a request timeout (0: the client's default).
std::chrono::milliseconds request_timeout(const GlobalOptions& global);

void print_json(std::ostream& out, const json& value);
// A result: as JSON with --json, for people otherwise.
void print_result(const GlobalOptions& global, std::ostream& out, const json& result);

// Throws `error` again, with not_found worded for people ("no task <id>").
[[noreturn]] void rethrow_not_found(const ProtocolError& error, const std::string& id);

// A request about one task, with not_found worded for people.
json task_request(Client& client, const GlobalOptions& global, const std::string& method, const std::string& id);

// With --timeout, waits that long for `future` (a TaskFuture or a GroupFuture) and
// throws TimedOut saying `what` is not finished; without, returns at once.
template <class Future>
void wait_for_timeout(const GlobalOptions& global, const Future& future, const std::string& what) {
  if (global.timeout_ms > 0 && !future.wait(request_timeout(global))) {
    throw TimedOut(rpc::kTimedOut, what + " is not finished after " + std::to_string(global.timeout_ms) + " ms");
  }
}

}  // namespace zerotask::zt

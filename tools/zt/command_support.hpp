// What the zt subcommands share: the Client they connect, --timeout, and how they
// print. Used from the thread running the subcommand.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "commands.hpp"
#include "table.hpp"
#include "zerotask/client.hpp"

namespace zerotask::zt {

ClientOptions client_options(const GlobalOptions& global);

// --timeout as a request timeout (0: the client's default).
std::chrono::milliseconds request_timeout(const GlobalOptions& global);

// How an answer is shown to a person (output.hpp): by a function that lays it out
// for the terminal (format_nodes), or by one whose text is the same anywhere
// (format_limits).
class Format {
 public:
  Format(std::string (*fitted)(const json&, const Terminal&)) : fitted_(fitted) {}
  Format(std::string (*plain)(const json&)) : plain_(plain) {}

  std::string operator()(const json& answer, const Terminal& terminal) const {
    return fitted_ != nullptr ? fitted_(answer, terminal) : plain_(answer);
  }

 private:
  std::string (*fitted_)(const json&, const Terminal&) = nullptr;
  std::string (*plain_)(const json&) = nullptr;
};

void print_json(std::ostream& out, const json& value);
// A result: as JSON with --json, for people otherwise.
void print_result(const GlobalOptions& global, std::ostream& out, const json& result);
// An answer: as JSON with --json, as `format` shows it for global.terminal
// otherwise.
void print_answer(const GlobalOptions& global, std::ostream& out, const json& answer, Format format);

// The subcommands that are one request: connects, sends it and prints the answer
// (print_answer).
int run_request(const GlobalOptions& global, const std::string& method, json params, Format format, std::ostream& out);

// Throws `error` again, with not_found worded for people: "no <subject>" ("no task
// <id>", "no schedule <name>").
[[noreturn]] void rethrow_not_found(const ProtocolError& error, const std::string& subject);

// A request about one thing (`subject`: "task <id>", "schedule <name>"), with
// not_found worded for people.
json request_about(Client& client, const GlobalOptions& global, const std::string& method, json params,
                   const std::string& subject);
// run_request() for a request about one thing, with not_found worded for people.
int run_request_about(const GlobalOptions& global, const std::string& method, json params, const std::string& subject,
                      Format format, std::ostream& out);
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

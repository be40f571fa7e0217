// zt watch: follows one task on the event endpoint, reading its state again every
// second in case events were missed, until it is final.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>

#include <zmq.hpp>

#include "arguments.hpp"
#include "command_support.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "zerotask/socket_options.hpp"
#include "zerotask/task_state.hpp"

namespace zerotask::zt {
namespace {

using Clock = std::chrono::steady_clock;

// How often `zt watch` reads the task's state in case events were missed.
constexpr std::chrono::milliseconds kWatchPoll{1000};
constexpr std::size_t kMaxEventDepth = 64;

std::string state_of(const json& task) {
  if (!task.is_object()) return "";
  auto state = task.find("state");
  return state != task.end() && state->is_string() ? state->get<std::string>() : "";
}

bool is_final_task(const json& task) {
  auto state = parse_task_state(state_of(task));
  return state && is_final(*state);
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

// What `zt watch` prints: a line each time the task's line changes (with a
// progress bar while it runs), and each partial result once, in index order,
// whether it came in an event or in the task's "partials". With --json, each
// printed thing is one JSON object on its line: a task, an event, or a partial
// result as {"id","partial","index"}.
class WatchPrinter {
 public:
  WatchPrinter(const GlobalOptions& global, std::string id, std::ostream& out)
      : global_(global), id_(std::move(id)), out_(out) {}

  // A task object from task.get: the partial results not shown yet, then its line.
  void show_task(const json& task) {
    if (auto partials = task.find("partials"); partials != task.end() && partials->is_array()) {
      for (std::size_t index = next_partial_; index < partials->size(); ++index) {
        show_partial({{"id", id_}, {"partial", (*partials)[index]}, {"index", index}});
      }
    }
    show_line(task);
  }

  // A (not final) event from task.<id>.
  void show_event(const json& event) {
    if (event.contains("partial")) {
      show_partial(event);
    } else {
      show_line(event);
    }
  }

 private:
  void show_line(const json& task) {
    std::string line = task_line(task);
    if (line == last_line_) return;
    last_line_ = line;
    print(task, paint(line, state_colour(state_of(task)), global_.terminal));
  }

  void show_partial(const json& event) {
    json index = event.value("index", json());
    if (!index.is_number_unsigned() || index.get<std::size_t>() < next_partial_) return;
    next_partial_ = index.get<std::size_t>() + 1;
    print(event, partial_line(index.get<std::size_t>(), event.at("partial")));
  }

  void print(const json& value, const std::string& line) {
    if (global_.json) {
      print_json(out_, value);
    } else {
      out_ << line << '\n';
    }
    out_.flush();
  }

  const GlobalOptions& global_;
  const std::string id_;
  std::ostream& out_;
  std::string last_line_;
  std::size_t next_partial_ = 0;
};

}  // namespace

int run_watch(const GlobalOptions& global, const std::string& id, std::ostream& out) {
  require_task_id(id);
  std::string events = event_endpoint(global.broker, global.events);
  ClientOptions options = client_options(global);
  zmq::context_t context;
  zmq::socket_t sub(context, zmq::socket_type::sub);
  apply_socket_limits(sub, SocketLimits{});
  if (options.curve) apply_curve_client(sub, *options.curve);
  try {
    sub.connect(events);
  } catch (const zmq::error_t& error) {
    throw UsageError("cannot connect to the event endpoint '" + events + "': " + error.what());
  }
  // Subscribed before the state is read, so that no change falls between the two.
  sub.set(zmq::sockopt::subscribe, "task." + id);
  Client client(global.broker, options);

  const Clock::time_point deadline =
      global.timeout_ms > 0 ? Clock::now() + std::chrono::milliseconds(global.timeout_ms) : Clock::time_point::max();
  WatchPrinter printer(global, id, out);
  json task = task_request(client, global, "task.get", id);
  printer.show_task(task);
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
          printer.show_event(event);
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
    printer.show_task(task);
  }
  // The task is final: its future has the outcome at once, as a result or as the
  // exception of a task that failed or was cancelled.
  json result;
  try {
    result = client.attach(id).result();
  } catch (const ProtocolError& error) {
    rethrow_not_found(error, "task " + id);
  }
  // With --json the final task object, printed above, holds the result.
  if (!global.json) out << format_value(result) << '\n';
  return kOk;
}

}  // namespace zerotask::zt

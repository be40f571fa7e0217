// zt top: reads broker.stats, broker.nodes, broker.functions and a page of QUEUED
// and of RUNNING tasks every --interval-ms and shows them (top_view.hpp): redrawn
// on a terminal (live_screen.hpp), or one snapshot for a pipe and for --json.
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "command_support.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "live_screen.hpp"
#include "output.hpp"
#include "table.hpp"
#include "top_view.hpp"
#include "zerotask/client.hpp"

namespace zerotask::zt {
namespace {

using Clock = std::chrono::steady_clock;

// How long one request of a refresh may wait for the connection, and for its
// answer (unless --timeout says otherwise), so that q and Ctrl-C are answered soon
// even when the broker is away. A broker that cannot be reached is told apart from
// one that does not answer (exit codes 3 and 4) by the first ending sooner.
constexpr std::chrono::milliseconds kConnectTimeout{1500};
constexpr std::chrono::milliseconds kRefreshTimeout{2500};

// What one refresh read, and when its broker.stats answer came (the throughput is
// measured between two of those).
struct Reading {
  TopAnswers answers;
  Clock::time_point stats_at;
};

ClientOptions top_client_options(const GlobalOptions& global) {
  ClientOptions options = client_options(global);
  if (global.timeout_ms == 0) {
    options.call_timeout = kRefreshTimeout;
    options.connect_timeout = kConnectTimeout;
  }
  return options;
}

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

json task_page(Client& client, const char* state) {
  return client.request("task.list", {{"state", state}, {"limit", kTopTaskPage}});
}

Reading read_broker(Client& client) {
  Reading reading;
  reading.answers.stats = client.request("broker.stats");
  reading.stats_at = Clock::now();
  reading.answers.nodes = client.request("broker.nodes");
  reading.answers.functions = client.request("broker.functions");
  reading.answers.queued = task_page(client, "QUEUED");
  reading.answers.running = task_page(client, "RUNNING");
  reading.answers.now_ms = wall_clock_ms();
  return reading;
}

json rates_between(const Reading& before, const Reading& after) {
  return throughput(before.answers.stats, after.answers.stats,
                    std::chrono::duration_cast<std::chrono::milliseconds>(after.stats_at - before.stats_at));
}

// Two readings an interval apart, so that even one snapshot has a throughput.
int print_snapshot(const GlobalOptions& global, const TopArguments& top, std::ostream& out) {
  Client client(global.broker, top_client_options(global));
  Reading first = read_broker(client);
  std::this_thread::sleep_for(std::chrono::milliseconds(top.interval_ms));
  Reading second = read_broker(client);
  json snapshot = top_snapshot(second.answers, rates_between(first, second), client.broker_endpoint());
  if (global.json) {
    print_json(out, snapshot);
  } else {
    out << format_top(snapshot, global.terminal);
  }
  return kOk;
}

// The live view: its state between refreshes, and how a frame is drawn.
class LiveTop {
 public:
  LiveTop(const TopArguments& top, std::string endpoint) : top_(top), endpoint_(std::move(endpoint)) {}

  void refresh(Client& client) {
    try {
      Reading reading = read_broker(client);
      json rates = last_ ? rates_between(*last_, reading) : json();
      snapshot_ = top_snapshot(reading.answers, std::move(rates), endpoint_);
      last_ = std::move(reading);
      problem_.clear();
    } catch (const BrokerUnreachable& error) {
      lost(error);
    } catch (const TimedOut& error) {
      lost(error);
    } catch (const BrokerBusy& error) {
      lost(error);
    }
  }

  void draw(LiveScreen& screen) const {
    const Terminal terminal = detect_terminal(STDOUT_FILENO);
    std::string text = paint(fit_line("zt top: every " + std::to_string(top_.interval_ms) + " ms, q to quit", terminal),
                             Colour::kBold, terminal) +
                       "\n";
    if (!problem_.empty()) {
      text += paint(fit_line("zt: " + problem_ + " (trying again every " + std::to_string(top_.interval_ms) + " ms" +
                                 (snapshot_.is_null() ? "" : "; below: the last answers") + ")",
                             terminal),
                    Colour::kRed, terminal) +
              "\n";
    }
    if (!snapshot_.is_null()) text += "\n" + format_top(snapshot_, terminal);
    screen.draw(text, terminal.height);
  }

 private:
  // The broker did not answer: shown until it does, and no throughput across the gap.
  void lost(const Error& error) {
    problem_ = describe_error(error);
    last_.reset();
  }

  const TopArguments& top_;
  const std::string endpoint_;
  std::optional<Reading> last_;
  json snapshot_;
  std::string problem_;
};

}  // namespace

int run_top(const GlobalOptions& global, const TopArguments& top, std::ostream& out) {
  if (global.json || !global.terminal.is_terminal) return print_snapshot(global, top, out);
  // Before the Client: its threads inherit the signals the screen blocks.
  LiveScreen screen(STDIN_FILENO, out);
  Client client(global.broker, top_client_options(global));
  LiveTop view(top, client.broker_endpoint());
  const std::chrono::milliseconds interval(top.interval_ms);
  while (true) {
    view.refresh(client);
    view.draw(screen);
    const Clock::time_point next = Clock::now() + interval;
    for (Clock::time_point now = Clock::now(); now < next; now = Clock::now()) {
      LiveScreen::Event event = screen.wait(std::chrono::ceil<std::chrono::milliseconds>(next - now));
      if (event == LiveScreen::Event::kQuit) return kOk;
      if (event == LiveScreen::Event::kResize) view.draw(screen);
    }
  }
}

}  // namespace zerotask::zt

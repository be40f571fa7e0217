// zt top against a real broker and node (started as child processes on free
// ports): one snapshot through a pipe, --json, and the live view on a
// pseudo-terminal, which q, SIGINT and SIGTERM end with the terminal restored.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "client_test_helpers.hpp"
#include "fake_broker.hpp"
#include "table.hpp"
#include "test_support.hpp"
#include "zerotask/client.hpp"

using namespace std::chrono_literals;
using zerotask::json;
using zerotask::testing::bin_dir;
using zerotask::testing::ChildProcess;
using zerotask::testing::CommandResult;
using zerotask::testing::contains;
using zerotask::testing::wait_until;

namespace {

constexpr const char* kRestore = "\033[?25h\033[?1049l";

// A broker (memory store) and a node named n-top with two workers, serving the
// default queue; one worker runs a long sleep, and a task of a function no node
// serves waits in the queue "images".
class TopSystem {
 public:
  TopSystem()
      : endpoint_(zerotask::testing::free_tcp_endpoint()),
        broker_(bin_dir() + "/broker",
                {"--endpoint", endpoint_, "--store", "memory", "--heartbeat-ms", "200", "--log-level", "warn"}),
        client_(endpoint_, zerotask::testing::quick_options()) {
    node_ = std::make_unique<ChildProcess>(
        bin_dir() + "/node",
        std::vector<std::string>{"--broker", endpoint_, "--threads", "2", "--name", "n-top", "--log-level", "warn"});
    bool joined = wait_until([&] {
      try {
        return client_.request("broker.nodes")["nodes"].size() == 1;
      } catch (const zerotask::Error&) {
        return false;
      }
    });
    if (!joined) throw std::runtime_error("the node never joined the broker");
    zerotask::SubmitOptions images;
    images.queue = "images";
    client_.submit_params("resize", json::array({800}), images);
    sleeping_ = client_.submit("sleep", 30000).id();
    if (!wait_until([&] { return client_.request("task.get", {{"id", sleeping_}})["state"] == "RUNNING"; })) {
      throw std::runtime_error("the sleep never started");
    }
  }

  const std::string& endpoint() const { return endpoint_; }
  zerotask::Client& client() { return client_; }

  CommandResult zt(std::vector<std::string> args) {
    args.insert(args.end(), {"--broker", endpoint_});
    return zerotask::testing::run_command(bin_dir() + "/zt", args);
  }

 private:
  std::string endpoint_;
  ChildProcess broker_;
  zerotask::Client client_;
  std::unique_ptr<ChildProcess> node_;
  std::string sleeping_;
};

// zt run on a pseudo-terminal of `columns` x `rows` (its stdin, stdout and stderr),
// as a person runs it. The test reads the screen's bytes and types keys.
class TerminalRun {
 public:
  TerminalRun(const std::vector<std::string>& args, unsigned short columns, unsigned short rows = 40) {
    master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) throw std::runtime_error("no pty");
    terminal_ = open(ptsname(master_), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (terminal_ < 0) throw std::runtime_error("cannot open the pty's terminal");
    winsize size{rows, columns, 0, 0};
    ioctl(terminal_, TIOCSWINSZ, &size);
    // ChildProcess passes on descriptors 0 to 2: they point at the terminal for
    // the moment zt starts, then back at the test's own.
    int saved[3];
    for (int fd = 0; fd < 3; ++fd) {
      saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
      dup2(terminal_, fd);
    }
    process_ = std::make_unique<ChildProcess>(bin_dir() + "/zt", args);
    for (int fd = 0; fd < 3; ++fd) {
      dup2(saved[fd], fd);
      close(saved[fd]);
    }
  }

  ~TerminalRun() {
    process_.reset();
    close(terminal_);
    close(master_);
  }

  ChildProcess& process() { return *process_; }

  // Reads the screen until `part` shows up (true) or `timeout` passes.
  bool read_until(const std::string& part, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!contains(screen, part)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) return contains(screen, part);
    }
    return true;
  }

  // Reads the screen until `part` showed up `times` times (true) or `timeout` passes.
  bool read_until_count(const std::string& part, std::size_t times, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (count(part) < times) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) break;
    }
    return count(part) >= times;
  }

  // Waits for zt to end, then reads what it wrote last; its exit status, -1 if
  // it has not ended after `timeout`.
  int finish(std::chrono::milliseconds timeout = 10s) {
    int status = process_->wait(timeout);
    while (read_some(100ms)) {
    }
    return status;
  }

  void type(const std::string& keys) { CHECK(write(master_, keys.data(), keys.size()) == ssize_t(keys.size())); }

  // Whether the terminal is back to line editing and echo.
  bool line_mode() const {
    termios mode{};
    return tcgetattr(terminal_, &mode) == 0 && (mode.c_lflag & ICANON) && (mode.c_lflag & ECHO);
  }

  std::string screen;  // every byte zt wrote

 private:
  std::size_t count(const std::string& part) const {
    std::size_t found = 0;
    for (std::size_t at = screen.find(part); at != std::string::npos; at = screen.find(part, at + part.size())) ++found;
    return found;
  }

  bool read_some(std::chrono::milliseconds timeout) {
    pollfd item{master_, POLLIN, 0};
    if (poll(&item, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buffer[4096];
    ssize_t got = read(master_, buffer, sizeof buffer);
    if (got <= 0) return false;
    screen.append(buffer, static_cast<std::size_t>(got));
    return true;
  }

  int master_ = -1;
  int terminal_ = -1;
  std::unique_ptr<ChildProcess> process_;
};

// Sets an environment variable for the zt processes a test starts, and puts it
// back afterwards. Made before the test starts threads (a Client), and gone after
// they are, since setenv is not thread-safe.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The words (separated by spaces) of the line of `text` whose first word is `first`.
std::vector<std::string> words_of_line(const std::string& text, const std::string& first) {
  std::size_t start = text.starts_with(first + " ") ? 0 : text.find("\n" + first + " ");
  if (start == std::string::npos) return {};
  std::istringstream line(text.substr(start, text.find('\n', start + 1) - start));
  std::vector<std::string> words;
  for (std::string word; line >> word;) words.push_back(word);
  return words;
}

bool exited_with(int status, int code) {
  return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

}  // namespace

TEST_CASE("zt top through a pipe prints one snapshot of queues, functions and nodes" * doctest::timeout(90)) {
  TopSystem system;
  CommandResult top = system.zt({"top", "--interval-ms", "200"});
  CHECK(top.exit_code == 0);
  const std::string& out = top.output;
  CAPTURE(out);
  CHECK(out.starts_with("broker      " + system.endpoint() + "  epoch "));
  CHECK(contains(out, "tasks       PENDING 0  QUEUED 1  RUNNING 1  "));
  CHECK(contains(out, " completed/s, "));
  CHECK(contains(out, "QUEUE    QUEUED  RUNNING  OLDEST  FUNCTIONS\n"));
  CHECK(contains(out, "\nimages   1       0        "));
  std::vector<std::string> images = words_of_line(out, "images");
  REQUIRE(images.size() == 6);
  CHECK(images[4] + " " + images[5] == "resize 1");
  CHECK(words_of_line(out, "resize") == std::vector<std::string>{"resize", "0", "1", "0"});
  CHECK(contains(out, "NODE   QUEUES   USED  FREE  RUNNING  LAST SEEN  FUNCTIONS\n"));
  CHECK(contains(out, "\nn-top  default  1     1     sleep 1  "));
  // Not a terminal: no escapes, nothing cut.
  CHECK_FALSE(contains(out, "\033"));
  CHECK_FALSE(contains(out, "…"));
}

TEST_CASE("zt top --json prints one snapshot with the throughput over one interval" * doctest::timeout(90)) {
  TopSystem system;
  auto top = std::async(std::launch::async, [&] { return system.zt({"top", "--json", "--interval-ms", "1000"}); });
  // Tasks run all through the interval, so that it sees some submitted and completed.
  while (top.wait_for(0ms) != std::future_status::ready) system.client().call("add", 1, 2);
  CommandResult result = top.get();
  REQUIRE(result.exit_code == 0);
  json snapshot = json::parse(result.output, nullptr, false);
  REQUIRE(snapshot.is_object());
  CHECK(snapshot["broker"]["endpoint"] == system.endpoint());
  CHECK(snapshot["broker"]["store"] == "memory");
  CHECK(snapshot["tasks"]["QUEUED"].get<int>() >= 1);
  REQUIRE(snapshot["queues"].size() == 2);
  CHECK(snapshot["queues"][1] == json{{"queue", "images"},
                                      {"depth", 1},
                                      {"running", 0},
                                      {"oldest_age_ms", snapshot["queues"][1]["oldest_age_ms"]},
                                      {"functions", {{"resize", 1}}}});
  CHECK(snapshot["queues"][1]["oldest_age_ms"].get<std::int64_t>() >= 1000);
  CHECK(snapshot["queues_complete"] == true);
  REQUIRE(snapshot["nodes"].size() == 1);
  json node = snapshot["nodes"][0];
  CHECK(node["name"] == "n-top");
  // The other worker runs one add after another.
  CHECK(node["queues"] == json::array({"default"}));
  CHECK(node["running_functions"]["sleep"] == 1);
  CHECK(node["slots"] == 2);
  CHECK(node["free"].get<int>() + node["running"].get<int>() == 2);
  json rates = snapshot["throughput"];
  REQUIRE(rates.is_object());
  CHECK(rates["interval_ms"].get<std::int64_t>() >= 1000);
  CHECK(rates["submitted_per_s"].get<double>() > 0);
  CHECK(rates["completed_per_s"].get<double>() > 0);
}

TEST_CASE("zt top refuses an interval under 100 ms and exits 3 without a broker" * doctest::timeout(60)) {
  CommandResult quick = zerotask::testing::run_command(bin_dir() + "/zt", {"top", "--interval-ms", "50"});
  CHECK(quick.exit_code == 2);
  CommandResult nobody = zerotask::testing::run_command(
      bin_dir() + "/zt", {"top", "--interval-ms", "100", "--broker", zerotask::testing::free_tcp_endpoint()});
  CHECK(nobody.exit_code == 3);
  CHECK(contains(nobody.output, "zt: "));
}

TEST_CASE("zt top on a terminal redraws in colour until q and gives the terminal back" * doctest::timeout(90)) {
  ScopedEnv colours("NO_COLOR", nullptr);  // before any thread starts
  TopSystem system;
  TerminalRun run({"top", "--interval-ms", "200", "--broker", system.endpoint()}, 100);
  REQUIRE(run.read_until("n-top"));
  CHECK(run.screen.starts_with("\033[?1049h\033[?25l"));
  CHECK(contains(run.screen, "zt top: every 200 ms, q to quit"));
  CHECK(contains(run.screen, "\033[1mQUEUE\033[0m"));
  // Frames drawn over each other from the top left, one per refresh.
  CHECK(run.read_until_count("\033[H", 3));
  run.type("q");
  CHECK(exited_with(run.finish(), 0));
  CHECK(run.screen.ends_with(kRestore));
  CHECK(run.line_mode());
}

TEST_CASE("zt top on a terminal fits its width and has no colour under NO_COLOR" * doctest::timeout(90)) {
  ScopedEnv no_colours("NO_COLOR", "1");
  TopSystem system;
  TerminalRun run({"top", "--interval-ms", "200", "--broker", system.endpoint()}, 40);
  // A whole frame: it ends by clearing the rest of the screen.
  REQUIRE(run.read_until("\033[J"));
  CHECK(contains(run.screen, "…"));
  CHECK_FALSE(contains(run.screen, "\033[1m"));
  CHECK_FALSE(contains(run.screen, "\033[3"));
  // Each line of the frame holds at most 40 characters.
  std::string frame = run.screen.substr(run.screen.rfind("\033[H") + 3);
  for (std::size_t start = 0; start < frame.size();) {
    std::size_t end = std::min(frame.find("\033[K", start), frame.size());
    std::string line = frame.substr(start, end - start);
    line.erase(0, line.find_first_not_of("\r\n"));  // the line break before it
    CAPTURE(line);
    CHECK(zerotask::zt::display_width(line) <= 40);
    start = end + 3;
  }
  run.process().signal(SIGINT);
  CHECK(exited_with(run.finish(), 0));
  CHECK(run.screen.ends_with(kRestore));
  CHECK(run.line_mode());
}

TEST_CASE("zt top on a terminal gives it back on SIGTERM, and when the broker refuses" * doctest::timeout(90)) {
  TopSystem system;
  TerminalRun run({"top", "--interval-ms", "200", "--broker", system.endpoint()}, 100);
  REQUIRE(run.read_until("n-top"));
  run.process().signal(SIGTERM);
  CHECK(exited_with(run.finish(), 0));
  CHECK(run.screen.ends_with(kRestore));
  CHECK(run.line_mode());

  // The fake broker has no broker.nodes: zt leaves the screen, then says why.
  zerotask::testing::FakeBroker fake;
  TerminalRun refused({"top", "--interval-ms", "200", "--broker", fake.endpoint()}, 100);
  CHECK(exited_with(refused.finish(), 5));
  std::size_t restored = refused.screen.find(kRestore);
  REQUIRE(restored != std::string::npos);
  CHECK(contains(refused.screen.substr(restored), "zt: unknown method broker.nodes"));
  CHECK(refused.line_mode());
}

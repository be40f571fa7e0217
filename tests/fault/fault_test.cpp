// The fault-injection suite: real brokers, fault_nodes and clients, killed (SIGKILL),
// stopped (SIGSTOP), restarted and starved of disk while they work. The promise
// under test (docs/PROTOCOL.md, section 3): a process may die at any moment and be
// restarted; no acknowledged task is lost, none is left stuck, and a late result
// from a worker presumed dead never overwrites the real one. The ledger that
// fault_node's `effect` appends to is the oracle (ledger.hpp).
//
// Timers are short so that the suite runs fast: heartbeats of 100 ms, leases of
// 300 ms, retry backoffs of 10 ms.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fault_cluster.hpp"
#include "mounted_tmpfs.hpp"
#include "store_file.hpp"
#include "submitter.hpp"
#include "zerotask/client.hpp"
#include "zerotask/clock.hpp"

using namespace std::chrono_literals;
using zerotask::fault::check_ledger;
using zerotask::fault::effects_of;
using zerotask::fault::FaultCluster;
using zerotask::fault::json;
using zerotask::fault::kHeartbeat;
using zerotask::fault::kLease;
using zerotask::fault::Submitter;
using zerotask::fault::SubmitterOptions;
using zerotask::testing::wait_until;

// MESSAGE without the process logs that INFO(cluster.failure_context()) attaches.
#define NOTE(cluster, ...)        \
  do {                            \
    (cluster).quiet_logs = true;  \
    MESSAGE(__VA_ARGS__);         \
    (cluster).quiet_logs = false; \
  } while (0)

namespace {

using Clock = std::chrono::steady_clock;

int task_count(const json& stats, const char* state) {
  return stats["tasks"].value(state, -1);
}

// Every task id of `ids` is in one of `states`, as task.get says now.
bool all_in_state(FaultCluster& cluster, const std::vector<std::string>& ids, const std::set<std::string>& states,
                  const std::string& node = "") {
  for (const auto& id : ids) {
    auto response = cluster.request("task.get", json{{"id", id}}, 500ms);
    if (!response || !response->contains("result")) return false;
    const json& task = (*response)["result"];
    if (!states.contains(task.value("state", ""))) return false;
    if (!node.empty() && task.value("node", "") != node) return false;
  }
  return true;
}

std::string submitted_id(const std::optional<json>& response) {
  if (!response || !response->contains("result")) {
    throw std::runtime_error("submission not acknowledged: " +
                             (response ? response->dump() : std::string("no answer")));
  }
  return (*response)["result"]["id"].get<std::string>();
}

// The client's exception class, by name.
std::string error_kind(const zerotask::Error& error) {
  if (dynamic_cast<const zerotask::BrokerUnreachable*>(&error)) return "BrokerUnreachable";
  if (dynamic_cast<const zerotask::BrokerBusy*>(&error)) return "BrokerBusy";
  if (dynamic_cast<const zerotask::ProtocolError*>(&error)) return "ProtocolError";
  if (dynamic_cast<const zerotask::TaskFailed*>(&error)) return "TaskFailed";
  if (dynamic_cast<const zerotask::TimedOut*>(&error)) return "TimedOut";
  if (dynamic_cast<const zerotask::Cancelled*>(&error)) return "Cancelled";
  return "Error";
}

std::string describe_exit(int status) {
  if (status == -1) return "still running";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// Starts the broker with its store on `small` (a tmpfs of a few MiB, for filling up)
// and one node "worker" of `threads` slots; returns the store's path.
std::string serve_from_small_filesystem(FaultCluster& cluster, const zerotask::fault::MountedTmpfs& small,
                                        int threads) {
  REQUIRE_MESSAGE(small.mounted(), small.error());
  std::string store = small.path() + "/tasks.db";
  cluster.start_broker({}, store);
  cluster.start_node("worker", threads);
  REQUIRE(cluster.wait_for_nodes({"worker"}));
  return store;
}

}  // namespace

TEST_CASE("no acknowledged task is lost while the broker is killed with SIGKILL again and again" *
          doctest::timeout(110)) {
  FaultCluster cluster;
  INFO(cluster.failure_context());
  cluster.start_broker();
  cluster.start_node("worker-a", 4);
  cluster.start_node("worker-b", 4);
  REQUIRE(cluster.wait_for_nodes({"worker-a", "worker-b"}));

  constexpr int kClients = 3;
  constexpr int kPerClient = 1200;
  std::vector<std::unique_ptr<Submitter>> clients;
  for (int c = 0; c < kClients; ++c) {
    SubmitterOptions options;
    options.endpoint = cluster.endpoint;
    options.prefix = "c" + std::to_string(c);
    options.total = kPerClient;
    options.batch = c == 0 ? 1 : 10;  // one client with task.submit, two with task.submit_many
    options.window = c == 0 ? 16 : 4;
    options.interval = c == 0 ? 3ms : 30ms;
    options.reply_timeout = 1000ms;
    options.effect_ms = 5;  // so that tasks are running when the broker dies
    clients.push_back(std::make_unique<Submitter>(cluster.context, options));
  }
  auto all_finished = [&] {
    return std::all_of(clients.begin(), clients.end(), [](const auto& client) { return client->finished(); });
  };

  std::mt19937 random(20240601);
  int kills = 0;
  std::vector<int> acknowledged_at_kill;
  while (kills < 5 && !all_finished()) {
    auto pause = std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 700)(random));
    wait_until(all_finished, pause);
    if (all_finished()) break;
    int acknowledged = 0;
    for (const auto& client : clients) acknowledged += client->acknowledged_so_far();
    acknowledged_at_kill.push_back(acknowledged);
    cluster.stop_broker(SIGKILL);
    ++kills;
    cluster.start_broker();
  }
  for (auto& client : clients) client->join();

  std::set<std::string> acknowledged;
  std::set<std::string> sent;
  std::map<std::string, std::string> task_of_key;
  std::map<int, int> errors;
  int unanswered = 0;
  int malformed_replies = 0;
  for (const auto& client : clients) {
    acknowledged.insert(client->acknowledged().begin(), client->acknowledged().end());
    sent.insert(client->sent().begin(), client->sent().end());
    task_of_key.insert(client->task_of_key().begin(), client->task_of_key().end());
    for (auto [code, count] : client->errors_by_code()) errors[code] += count;
    unanswered += client->unanswered();
    malformed_replies += client->malformed_replies();
    CHECK_MESSAGE(client->failure().empty(), client->failure());
  }
  std::string kill_points;
  for (int count : acknowledged_at_kill) kill_points += " " + std::to_string(count);
  NOTE(cluster, kills << " broker kills (after" << kill_points << " acknowledgements); " << sent.size()
                      << " keys sent, " << acknowledged.size() << " acknowledged, " << unanswered
                      << " requests unanswered, " << errors.size() << " error codes seen");
  CHECK(kills >= 3);
  CHECK(malformed_replies == 0);
  for (auto [code, count] : errors) NOTE(cluster, "error " << code << " answered " << count << " times");
  CHECK(acknowledged.size() > sent.size() / 2);

  bool drained = cluster.drain(acknowledged, 40s);
  auto ledger = cluster.ledger();
  auto report = check_ledger(ledger, acknowledged, sent);
  INFO("ledger: " << report.summary());
  CHECK(drained);
  CHECK(report.missing.empty());
  CHECK(report.unknown.empty());
  CHECK(report.malformed == 0);
  CHECK(report.repeated_tokens.empty());
  CHECK(report.multi_task_keys.empty());
  NOTE(cluster, report.duplicates.size() << " keys ran more than once (" << report.extra_effects()
                                         << " extra effects: at-least-once redelivery)");
  int wrong_task = 0;
  for (const auto& effect : ledger.effects) {
    auto known = task_of_key.find(effect.key);
    if (known != task_of_key.end() && known->second != effect.task_id) ++wrong_task;
  }
  CHECK_MESSAGE(wrong_task == 0, "effects under a task id other than the acknowledged one");
  auto stats = cluster.stats();
  NOTE(cluster, "broker.stats after the drain: " << stats.dump());
  CHECK(task_count(stats, "FAILED") == 0);

  int status = cluster.stop_broker(SIGTERM);
  CHECK(describe_exit(status) == "exit 0");
  CHECK(zerotask::fault::integrity_check(cluster.store_path) == "ok");
  auto states = zerotask::fault::stored_states(cluster.store_path);
  int not_succeeded = 0;
  for (const auto& key : acknowledged) {
    auto state = states.find(task_of_key[key]);
    if (state == states.end() || state->second != "SUCCEEDED") ++not_succeeded;
  }
  CHECK_MESSAGE(not_succeeded == 0, "acknowledged tasks not SUCCEEDED in the store");
}

TEST_CASE("tasks running when the broker is killed are delivered by their node after the restart, not run again" *
          doctest::timeout(60)) {
  // docs/PROTOCOL.md, "Storage": a task that was RUNNING keeps its lease for 3
  // heartbeat intervals after a restart, so that its node, reconnecting, can still
  // deliver its result; and the node never drops a result. Tasks here end at
  // staggered times: while the broker is down, just after it is back, and later.
  FaultCluster cluster;
  INFO(cluster.failure_context());
  cluster.start_broker();
  cluster.start_node("keeper", 8);
  REQUIRE(cluster.wait_for_nodes({"keeper"}));
  std::vector<std::string> keys;
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    keys.push_back("inflight-" + std::to_string(i));
    ids.push_back(submitted_id(cluster.submit_effect(keys.back(), 150 + 100 * i)));
  }
  REQUIRE(wait_until([&] { return all_in_state(cluster, ids, {"RUNNING"}, "keeper"); }, 5s));
  cluster.stop_broker(SIGKILL);
  std::this_thread::sleep_for(300ms);
  cluster.start_broker();
  CHECK(wait_until([&] { return all_in_state(cluster, ids, {"SUCCEEDED", "FAILED"}); }, 10s));
  auto ledger = cluster.ledger();
  std::string rerun;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto task = cluster.task(ids[i]);
    auto effects = effects_of(ledger, keys[i]);
    if (task["attempt"] != 1 || effects.size() != 1) {
      rerun += " " + keys[i] + " (" + std::to_string(150 + 100 * i) + " ms: attempt " + task["attempt"].dump() + ", " +
               std::to_string(effects.size()) + " effects)";
    }
  }
  auto stats = cluster.stats();
  INFO("broker.stats: " << stats.dump());
  CHECK_MESSAGE(rerun.empty(), "tasks run again although their node finished them:" << rerun);
}

TEST_CASE("tasks of a node killed with SIGKILL while all its workers are busy run again within the lease bound" *
          doctest::timeout(60)) {
  FaultCluster cluster;
  INFO(cluster.failure_context());
  cluster.start_broker();
  cluster.start_node("doomed", 3);
  REQUIRE(cluster.wait_for_nodes({"doomed"}));
  constexpr int kTaskMs = 2000;
  std::vector<std::string> keys = {"busy-0", "busy-1", "busy-2"};
  std::vector<std::string> ids;
  for (const auto& key : keys) ids.push_back(submitted_id(cluster.submit_effect(key, kTaskMs)));
  REQUIRE(wait_until([&] { return all_in_state(cluster, ids, {"RUNNING"}, "doomed"); }, 5s));
  cluster.start_node("survivor", 3);
  REQUIRE(cluster.wait_for_nodes({"survivor"}));
  std::this_thread::sleep_for(200ms);

  auto killed_at = zerotask::unix_time_ms();
  cluster.kill_node("doomed");
  CHECK(wait_until([&] { return all_in_state(cluster, ids, {"SUCCEEDED"}); }, 10s));

  // Lost after at most a lease (plus a heartbeat of rounding), handed out again at
  // once, then run for kTaskMs: loose bounds, for a loaded machine.
  auto rerun_bound = kLease.count() + kHeartbeat.count() + 700;
  auto finish_bound = rerun_bound + kTaskMs + 1500;
  std::int64_t slowest_rerun = 0;
  for (const auto& id : ids) {
    auto task = cluster.task(id);
    INFO("task " << task.dump());
    slowest_rerun = std::max(slowest_rerun, task["started_at"].get<std::int64_t>() - killed_at);
    CHECK(task["state"] == "SUCCEEDED");
    CHECK(task["node"] == "survivor");
    CHECK(task["attempt"] == 2);
    CHECK(task["started_at"].get<std::int64_t>() - killed_at <= rerun_bound);
    CHECK(task["ended_at"].get<std::int64_t>() - killed_at <= finish_bound);
  }
  NOTE(cluster, "tasks ran again " << slowest_rerun << " ms after the kill at most (lease " << kLease.count()
                                   << " ms, bound checked " << rerun_bound << " ms)");
  auto ledger = cluster.ledger();
  auto report = check_ledger(ledger, {keys.begin(), keys.end()});
  INFO("ledger: " << report.summary());
  CHECK(report.complete());
  CHECK(report.duplicates.empty());  // the doomed node died before its effects
  for (const auto& key : keys) {
    auto effects = effects_of(ledger, key);
    REQUIRE(effects.size() == 1);
    CHECK(effects[0].node == "survivor");
    CHECK(effects[0].attempt == 2);
  }
  auto stats = cluster.stats();
  CHECK(stats["retried"] == 3);
  CHECK(task_count(stats, "RUNNING") == 0);
}

TEST_CASE("a node stopped past its lease has its tasks redone elsewhere and its late results refused" *
          doctest::timeout(60)) {
  FaultCluster cluster;
  INFO(cluster.failure_context());
  cluster.start_broker();
  auto& sleeper = cluster.start_node("sleeper", 2);
  REQUIRE(cluster.wait_for_nodes({"sleeper"}));
  std::vector<std::string> keys = {"late-0", "late-1"};
  std::vector<std::string> ids;
  for (const auto& key : keys) ids.push_back(submitted_id(cluster.submit_effect(key, 700, json{{"tag", true}})));
  REQUIRE(wait_until([&] { return all_in_state(cluster, ids, {"RUNNING"}, "sleeper"); }, 5s));
  cluster.start_node("rescuer", 2);
  REQUIRE(cluster.wait_for_nodes({"rescuer"}));

  sleeper.signal(SIGSTOP);
  bool redone = wait_until([&] { return all_in_state(cluster, ids, {"SUCCEEDED"}); }, 10s);
  if (!redone) sleeper.signal(SIGCONT);
  REQUIRE(redone);
  auto stale_before = cluster.stats()["stale_results"].get<int>();

  sleeper.signal(SIGCONT);
  // The sleeper wakes up, finishes its (old) attempts and reports them.
  CHECK(wait_until([&] { return cluster.ledger().effects.size() >= 4; }, 5s));
  bool refused = wait_until([&] { return cluster.stats()["stale_results"].get<int>() >= stale_before + 2; }, 5s);
  auto stats = cluster.stats();
  INFO("broker.stats: " << stats.dump());
  INFO("broker log lines about refused results: " << cluster.log_lines_with("refused", "broker").size());
  CHECK_MESSAGE(refused, "the late results were not counted as stale (stale_results " << stale_before << " -> "
                                                                                      << stats["stale_results"] << ")");
  CHECK(cluster.wait_for_nodes({"sleeper", "rescuer"}, 5s));
  std::this_thread::sleep_for(300ms);  // anything late still in flight lands now

  auto ledger = cluster.ledger();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto task = cluster.task(ids[i]);
    INFO("task " << task.dump());
    CHECK(task["state"] == "SUCCEEDED");
    CHECK(task["node"] == "rescuer");
    CHECK(task["attempt"] == 2);
    CHECK(task["result"] == json({{"key", keys[i]}, {"node", "rescuer"}, {"attempt", 2}}));
    auto effects = effects_of(ledger, keys[i]);
    CHECK(effects.size() == 2);
    for (const auto& effect : effects) {
      CHECK(effect.attempt == (effect.node == "sleeper" ? 1 : 2));
    }
  }
}

TEST_CASE("a task running ten times the lease on a heartbeating node is delivered once" * doctest::timeout(60)) {
  FaultCluster cluster;
  INFO(cluster.failure_context());
  cluster.start_broker();
  cluster.start_node("patient", 2);
  REQUIRE(cluster.wait_for_nodes({"patient"}));
  auto long_ms = static_cast<int>(10 * kLease.count());
  std::string id = submitted_id(cluster.submit_effect("long", long_ms));
  // Short tasks on the other worker meanwhile.
  std::set<std::string> short_keys;
  for (int i = 0; i < 40; ++i) {
    std::string key = "short-" + std::to_string(i);
    submitted_id(cluster.submit_effect(key, 20));
    short_keys.insert(key);
  }
  CHECK(wait_until([&] { return all_in_state(cluster, {id}, {"SUCCEEDED", "FAILED"}); }, 15s));
  auto task = cluster.task(id);
  INFO("task " << task.dump());
  CHECK(task["state"] == "SUCCEEDED");
  CHECK(task["attempt"] == 1);
  CHECK(task["node"] == "patient");
  CHECK(task["ended_at"].get<std::int64_t>() - task["started_at"].get<std::int64_t>() >= long_ms);
  short_keys.insert("long");
  CHECK(cluster.drain(short_keys, 10s));
  auto ledger = cluster.ledger();
  auto effects = effects_of(ledger, "long");
  REQUIRE(effects.size() == 1);
  CHECK(effects[0].attempt == 1);
  auto report = check_ledger(ledger, short_keys);
  INFO("ledger: " << report.summary());
  CHECK(report.complete());
  CHECK(report.duplicates.empty());
  auto stats = cluster.stats();
  INFO("broker.stats: " << stats.dump());
  CHECK(stats["retried"] == 0);
  CHECK(stats["stale_results"] == 0);
}

TEST_CASE("a task that always crashes its worker fails after its retries while other tasks keep completing" *
          doctest::timeout(60)) {
  FaultCluster cluster;
  INFO(cluster.failure_context());
  cluster.start_broker();
  cluster.start_node("steady", 2, {"--functions", "effect"});
  const std::vector<std::string> crasher_args = {"--functions", "crash", "--crash-max-retries", "2"};
  cluster.start_node("crasher", 1, crasher_args);
  REQUIRE(cluster.wait_for_nodes({"steady", "crasher"}));

  auto crash =
      cluster.request("task.submit", json{{"function", "crash"}, {"params", json::array()}, {"max_retries", 2}});
  std::string crash_id = submitted_id(crash);

  // The test is the crasher's supervisor: it starts the process again a while after
  // it dies (longer than a lease, so that the broker sees a lease run out rather than
  // a new hello replacing the node), while a stream of effect tasks goes to the
  // steady node.
  constexpr auto kRestartDelay = kLease + kHeartbeat;
  int crashes = 0;
  std::vector<std::string> exits;
  std::set<std::string> effect_keys;
  std::size_t effects_before_failed = 0;
  std::optional<Clock::time_point> died_at;
  auto supervise = [&] {
    if (!died_at) {
      int status = cluster.node("crasher").wait(0ms);
      if (status == -1) return;
      ++crashes;
      exits.push_back(describe_exit(status));
      died_at = Clock::now();
    }
    if (Clock::now() - *died_at < kRestartDelay) return;
    cluster.start_node("crasher", 1, crasher_args);
    died_at.reset();
  };
  json crash_task;
  auto deadline = Clock::now() + 20s;
  int next_effect = 0;
  while (Clock::now() < deadline) {
    supervise();
    std::string key = "steady-" + std::to_string(next_effect++);
    if (cluster.submit_effect(key, 5)) effect_keys.insert(key);
    auto response = cluster.request("task.get", json{{"id", crash_id}}, 500ms);
    if (response && response->contains("result") && (*response)["result"]["state"] == "FAILED") {
      crash_task = (*response)["result"];
      effects_before_failed = cluster.ledger().effects.size();
      break;
    }
    std::this_thread::sleep_for(30ms);
  }
  INFO("crash task: " << crash_task.dump());
  REQUIRE(crash_task.is_object());
  CHECK(crash_task["attempt"] == 3);
  CHECK(crash_task["retries"] == 2);
  CHECK(crash_task["error"]["code"] == -32000);
  CHECK(crash_task["error"]["data"]["type"] == "zerotask::NodeLost");
  // The third crash happened before the broker gave up; let the supervisor see it,
  // then keep a crasher up: it must not be handed the task again.
  wait_until(
      [&] {
        supervise();
        return crashes >= 3 && !died_at;
      },
      3s);
  auto watch_until = Clock::now() + 5 * kLease;
  while (Clock::now() < watch_until) {
    supervise();
    std::this_thread::sleep_for(10ms);
  }
  std::string exit_list;
  for (const auto& exit : exits) exit_list += " " + exit;
  INFO("crasher exits:" << exit_list);
  CHECK(crashes == 3);
  for (const auto& exit : exits) CHECK(exit == "exit 86");

  NOTE(cluster, effects_before_failed << " effects completed while the crash task was failing");
  CHECK(effects_before_failed >= 10);
  CHECK(cluster.drain(effect_keys, 10s));
  auto report = check_ledger(cluster.ledger(), effect_keys);
  INFO("ledger: " << report.summary());
  CHECK(report.complete());
  auto stats = cluster.stats();
  INFO("broker.stats: " << stats.dump());
  CHECK(task_count(stats, "FAILED") == 1);
  CHECK(stats["retried"] == 2);
}

TEST_CASE("nodes resume and blocked callers get an answer before their deadline across ten broker restarts" *
          doctest::timeout(100)) {
  FaultCluster cluster;
  INFO(cluster.failure_context());
  cluster.start_broker();
  cluster.start_node("steady-a", 2);
  cluster.start_node("steady-b", 2);
  REQUIRE(cluster.wait_for_nodes({"steady-a", "steady-b"}));

  zerotask::ClientOptions options;
  options.connect_timeout = 3000ms;
  options.call_timeout = 6000ms;
  // Leaked on purpose if a caller hangs: it cannot be destroyed under its callers.
  auto client = std::make_unique<zerotask::Client>(cluster.endpoint, options);
  constexpr auto kCallDeadline = 5000ms;
  constexpr auto kSlack = 1500ms;

  struct Outcomes {
    std::mutex mutex;
    std::map<std::string, int> by_kind;  // "ok", or the error type and code
    std::set<std::string> succeeded_keys;
    std::vector<std::string> wrong;
    std::vector<std::string> overdue;
    std::chrono::milliseconds longest{0};
  };
  auto outcomes = std::make_shared<Outcomes>();
  auto stop = std::make_shared<std::atomic<bool>>(false);
  auto running = std::make_shared<std::atomic<int>>(0);
  std::vector<std::thread> callers;
  zerotask::Client* shared_client = client.get();
  for (int t = 0; t < 4; ++t) {
    ++*running;
    callers.emplace_back([=] {
      for (int i = 0; !stop->load(); ++i) {
        std::string key = "call-" + std::to_string(t) + "-" + std::to_string(i);
        zerotask::CallOptions call;
        call.timeout = kCallDeadline;
        auto started = Clock::now();
        std::string kind;
        bool ok = false;
        json result;
        try {
          result = shared_client->call_params("effect", json{{"key", key}, {"ms", 30}}, call);
          ok = true;
          kind = "ok";
        } catch (const zerotask::Error& error) {
          kind = error_kind(error) + " " + std::to_string(error.code()) + ": " + error.what();
        } catch (const std::exception& error) {
          kind = std::string("std::exception: ") + error.what();
        }
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        std::lock_guard lock(outcomes->mutex);
        // Error kinds are grouped by their first words (messages may carry ids).
        ++outcomes->by_kind[kind.substr(0, std::min<std::size_t>(kind.size(), 80))];
        if (ok && result == key) outcomes->succeeded_keys.insert(key);
        if (ok && result != key) outcomes->wrong.push_back(key + " -> " + result.dump());
        if (took > kCallDeadline + kSlack)
          outcomes->overdue.push_back(key + " took " + std::to_string(took.count()) + " ms");
        outcomes->longest = std::max(outcomes->longest, took);
      }
      --*running;
    });
  }

  std::vector<std::string> slow_resumes;
  std::vector<std::string> unclean_stops;
  std::chrono::milliseconds slowest_resume{0};
  for (int restart = 0; restart < 10; ++restart) {
    std::this_thread::sleep_for(400ms);
    int signo = restart % 2 == 0 ? SIGKILL : SIGTERM;
    int status = cluster.stop_broker(signo);
    if (signo == SIGTERM && describe_exit(status) != "exit 0") {
      unclean_stops.push_back("restart " + std::to_string(restart) + ": " + describe_exit(status));
    }
    cluster.start_broker();
    auto started = Clock::now();
    bool resumed = cluster.wait_for_nodes({"steady-a", "steady-b"}, 5s);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    slowest_resume = std::max(slowest_resume, took);
    if (!resumed)
      slow_resumes.push_back("restart " + std::to_string(restart) + " (" + (signo == SIGKILL ? "SIGKILL" : "SIGTERM") +
                             ")");
  }
  std::this_thread::sleep_for(1000ms);
  stop->store(true);
  bool callers_done = wait_until([&] { return running->load() == 0; }, kCallDeadline + 2 * kSlack);
  if (!callers_done) {
    for (auto& caller : callers) caller.detach();
    (void)client.release();
    FAIL("a caller of zerotask::Client::call is still blocked past its deadline");
  }
  for (auto& caller : callers) caller.join();

  std::string slow_list;
  for (const auto& slow : slow_resumes) slow_list += " " + slow;
  CHECK_MESSAGE(slow_resumes.empty(), "nodes not listed again within 5 s after:" << slow_list);
  NOTE(cluster, "slowest node resume after a restart: " << slowest_resume.count() << " ms");
  std::string unclean_list;
  for (const auto& stop_status : unclean_stops) unclean_list += " " + stop_status;
  CHECK_MESSAGE(unclean_stops.empty(), "the broker did not exit cleanly on SIGTERM:" << unclean_list);

  std::lock_guard lock(outcomes->mutex);
  for (const auto& [kind, count] : outcomes->by_kind) NOTE(cluster, count << " x " << kind);
  NOTE(cluster, "longest call: " << outcomes->longest.count() << " ms");
  std::string overdue_list;
  for (std::size_t i = 0; i < std::min<std::size_t>(outcomes->overdue.size(), 5); ++i)
    overdue_list += " " + outcomes->overdue[i];
  CHECK_MESSAGE(outcomes->overdue.empty(), outcomes->overdue.size()
                                               << " calls overran their deadline:" << overdue_list);
  CHECK(outcomes->wrong.empty());
  CHECK(outcomes->succeeded_keys.size() > 20);

  // After the last restart the client works as before.
  zerotask::CallOptions last;
  last.timeout = kCallDeadline;
  json final_result;
  CHECK_NOTHROW(final_result = client->call_params("effect", json{{"key", "final"}}, last));
  CHECK(final_result == "final");

  auto report = check_ledger(cluster.ledger(), outcomes->succeeded_keys, std::set<std::string>{});
  CHECK_MESSAGE(report.missing.empty(), "calls answered with a result but without an effect: " << report.summary());
}

TEST_CASE(
    "submissions past --max-queued are refused with overloaded, memory stays bounded, nothing acknowledged is lost" *
    doctest::timeout(90)) {
  FaultCluster cluster;
  INFO(cluster.failure_context());
  constexpr int kMaxQueued = 2000;
  cluster.start_broker({"--max-queued", std::to_string(kMaxQueued)});
  cluster.start_node("slow", 4);
  REQUIRE(cluster.wait_for_nodes({"slow"}));

  std::vector<std::unique_ptr<Submitter>> clients;
  for (int c = 0; c < 2; ++c) {
    SubmitterOptions options;
    options.endpoint = cluster.endpoint;
    options.prefix = "flood" + std::to_string(c);
    options.total = 1000000;  // until stopped
    options.batch = 50;
    options.window = 8;
    options.interval = 5ms;
    options.effect_ms = 10;  // 4 workers: at most ~400 tasks/s drained
    clients.push_back(std::make_unique<Submitter>(cluster.context, options));
  }
  long max_rss = 0;
  auto flood_until = Clock::now() + 3s;
  auto flood_started = Clock::now();
  while (Clock::now() < flood_until) {
    max_rss = std::max(max_rss, zerotask::testing::resident_kib(cluster.broker->pid()));
    std::this_thread::sleep_for(50ms);
  }
  auto flood_effects = cluster.ledger().effects.size();
  auto flood_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - flood_started);
  for (auto& client : clients) client->stop();
  for (auto& client : clients) client->join();
  max_rss = std::max(max_rss, zerotask::testing::resident_kib(cluster.broker->pid()));

  std::set<std::string> acknowledged;
  std::set<std::string> sent;
  int overloaded = 0;
  int other_errors = 0;
  json overload_error;
  for (const auto& client : clients) {
    acknowledged.insert(client->acknowledged().begin(), client->acknowledged().end());
    sent.insert(client->sent().begin(), client->sent().end());
    for (auto [code, count] : client->errors_by_code()) (code == -32003 ? overloaded : other_errors) += count;
    if (client->first_error_by_code().contains(-32003)) overload_error = client->first_error_by_code().at(-32003);
    CHECK(client->malformed_replies() == 0);
    CHECK_MESSAGE(client->failure().empty(), client->failure());
  }
  double submit_rate = 1000.0 * static_cast<double>(sent.size()) / static_cast<double>(flood_time.count());
  double drain_rate = 1000.0 * static_cast<double>(flood_effects) / static_cast<double>(flood_time.count());
  NOTE(cluster, sent.size() << " tasks sent (" << static_cast<int>(submit_rate) << "/s), " << acknowledged.size()
                            << " acknowledged, " << overloaded << " requests refused as overloaded; nodes drained "
                            << static_cast<int>(drain_rate) << "/s; broker VmRSS peaked at " << max_rss / 1024
                            << " MiB");
  CHECK(submit_rate >= 10 * drain_rate);
  CHECK(overloaded > 0);
  CHECK(other_errors == 0);
  INFO("overloaded error: " << overload_error.dump());
  CHECK(overload_error["data"]["limit"] == "max_queued");
  CHECK(overload_error["data"]["value"] == kMaxQueued);
  CHECK(max_rss > 0);
  CHECK(max_rss < 200 * 1024);

  CHECK(cluster.drain(acknowledged, 40s));
  auto report = check_ledger(cluster.ledger(), acknowledged, sent);
  INFO("ledger: " << report.summary());
  CHECK(report.complete());
  CHECK(report.repeated_tokens.empty());
}

TEST_CASE("a full filesystem refuses submissions with store_unavailable and service resumes once space is back" *
          doctest::timeout(90)) {
  FaultCluster cluster;
  INFO(cluster.failure_context());
  zerotask::fault::MountedTmpfs small(cluster.dir.file("small"), "4m");
  std::string store = serve_from_small_filesystem(cluster, small, 2);

  std::set<std::string> acknowledged;
  std::set<std::string> sent;
  std::map<std::string, std::string> task_of_key;
  for (int i = 0; i < 20; ++i) {
    std::string key = "before-" + std::to_string(i);
    sent.insert(key);
    task_of_key[key] = submitted_id(cluster.submit_effect(key));
    acknowledged.insert(key);
  }
  REQUIRE(cluster.drain(acknowledged, 10s));

  std::string filler = small.path() + "/filler";
  auto filled = zerotask::fault::fill_filesystem(filler);
  NOTE(cluster, "filler: " << filled << " bytes");
  REQUIRE(filled > 0);

  // Submissions with some weight, so that each commit needs new pages, on a DEALER
  // of their own: the replies the broker holds back while its store cannot write
  // are expected once it can again.
  zerotask::testing::RawPeer writer(cluster.context, cluster.endpoint);
  const std::string padding(2000, 'p');
  std::map<int, std::string> pending;  // request id -> key, until answered
  int store_unavailable = 0;
  std::map<int, int> other_errors;
  auto take_replies = [&](std::chrono::milliseconds wait) {
    while (auto body = writer.receive_text(wait)) {
      wait = 0ms;
      auto reply = json::parse(*body, nullptr, false);
      if (reply.is_discarded() || !reply.contains("id") || !pending.contains(reply["id"].get<int>())) {
        ++other_errors[0];
        continue;
      }
      std::string key = pending[reply["id"].get<int>()];
      pending.erase(reply["id"].get<int>());
      if (reply.contains("result")) {
        acknowledged.insert(key);
        task_of_key[key] = reply["result"]["id"].get<std::string>();
      } else if (reply["error"]["code"] == -32010) {
        ++store_unavailable;
      } else {
        ++other_errors[reply["error"]["code"].get<int>()];
      }
    }
  };
  auto deadline = Clock::now() + 15s;
  for (int i = 0; i < 1000 && Clock::now() < deadline && store_unavailable < 5; ++i) {
    std::string key = "full-" + std::to_string(i);
    sent.insert(key);
    pending[i] = key;
    writer.send(json{{"jsonrpc", "2.0"},
                     {"id", i},
                     {"method", "task.submit"},
                     {"params", {{"function", "effect"}, {"params", {{"key", key}, {"ms", 0}, {"pad", padding}}}}}});
    take_replies(500ms);
  }
  auto held = pending.size();
  NOTE(cluster, "on the full filesystem: " << acknowledged.size() - 20 << " acknowledged, " << store_unavailable
                                           << " store_unavailable, " << held << " held back");
  CHECK_MESSAGE(store_unavailable > 0, "the broker never answered store_unavailable on a full filesystem");
  CHECK(other_errors.empty());
  auto pong = cluster.request("broker.ping", nullptr, 2s);
  CHECK((pong && pong->contains("result")));
  auto stats = cluster.request("broker.stats", nullptr, 2s);
  REQUIRE((stats && stats->contains("result")));
  CHECK((*stats)["result"]["store_ok"] == false);
  CHECK(cluster.broker_running());

  std::filesystem::remove(filler);
  CHECK(wait_until(
      [&] {
        auto now = cluster.request("broker.stats", nullptr, 500ms);
        return now && now->contains("result") && (*now)["result"]["store_ok"] == true;
      },
      5s));
  // The held replies go out once a commit succeeds.
  auto replies_until = Clock::now() + 3s;
  while (!pending.empty() && Clock::now() < replies_until) take_replies(100ms);
  CHECK_MESSAGE(pending.empty(), pending.size() << " of " << held << " held submissions never answered");
  CHECK(other_errors.empty());
  sent.insert("after");
  auto after = cluster.submit_effect("after");
  CHECK((after && after->contains("result")));
  if (after && after->contains("result")) {
    acknowledged.insert("after");
    task_of_key["after"] = (*after)["result"]["id"].get<std::string>();
  }
  CHECK(cluster.drain(acknowledged, 15s));
  auto report = check_ledger(cluster.ledger(), acknowledged, sent);
  INFO("ledger: " << report.summary());
  CHECK(report.complete());

  int status = cluster.stop_broker(SIGTERM);
  CHECK(describe_exit(status) == "exit 0");
  CHECK(zerotask::fault::integrity_check(store) == "ok");
  auto states = zerotask::fault::stored_states(store);
  int not_succeeded = 0;
  for (const auto& key : acknowledged) {
    auto state = states.find(task_of_key[key]);
    if (state == states.end() || state->second != "SUCCEEDED") ++not_succeeded;
  }
  CHECK_MESSAGE(not_succeeded == 0, "acknowledged tasks not SUCCEEDED in the store");
}

TEST_CASE("a result that a broker with a full filesystem cannot store is not answered, and runs once after a crash" *
          doctest::timeout(90)) {
  FaultCluster cluster;
  INFO(cluster.failure_context());
  zerotask::fault::MountedTmpfs small(cluster.dir.file("small"), "4m");
  std::string store = serve_from_small_filesystem(cluster, small, 1);

  auto submitted = cluster.submit_effect("slow", 1500);
  REQUIRE((submitted && submitted->contains("result")));
  std::string id = (*submitted)["result"]["id"].get<std::string>();
  REQUIRE(wait_until([&] { return cluster.task(id)["state"] == "RUNNING"; }, 5s));
  zerotask::testing::RawPeer caller(cluster.context, cluster.endpoint);
  caller.send(json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "task.wait"}, {"params", {{"id", id}, {"timeout_ms", 20000}}}});

  std::string filler = small.path() + "/filler";
  REQUIRE(zerotask::fault::fill_filesystem(filler) > 0);
  // The node's result comes while no commit can succeed: whoever waits for it hears
  // nothing, and the node, whose heartbeats go unanswered meanwhile, keeps it.
  auto early = caller.receive_text(4s);
  CHECK_MESSAGE(!early, "answered with a result the store does not hold: " << early.value_or(""));

  CHECK(describe_exit(cluster.stop_broker(SIGKILL)) == "signal 9");
  std::filesystem::remove(filler);
  cluster.start_broker({}, store);
  CHECK(cluster.drain({"slow"}, 20s));
  CHECK(cluster.task(id)["state"] == "SUCCEEDED");
  const std::set<std::string> keys = {"slow"};
  auto report = check_ledger(cluster.ledger(), keys, keys);
  INFO("ledger: " << report.summary());
  CHECK(report.complete());
  CHECK(report.duplicates.empty());
}

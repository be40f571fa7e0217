// The WorkerPool: jobs run on its threads and their results land in the outbox.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "worker_pool.hpp"

namespace zerotask::testing {
namespace {

using namespace std::chrono_literals;

// Collects what the pool leaves in the outbox, as the I/O thread would.
struct Collector {
  Wakeup wakeup;
  node_impl::Outbox outbox{wakeup};
  node_impl::OutboxBatch all;

  void collect() {
    node_impl::OutboxBatch batch;
    outbox.take(batch);
    for (auto& result : batch.results) all.results.push_back(std::move(result));
    for (auto& report : batch.progress) all.progress.push_back(std::move(report));
    for (auto& partial : batch.partials) all.partials.push_back(std::move(partial));
  }
  bool wait_for_results(std::size_t count) {
    return wait_until([&] {
      collect();
      return all.results.size() >= count;
    });
  }
};

// A function that notes it started, waits for its stop token (at most 20 s) and
// returns whether it fired.
TaskFunction until_stopped(std::atomic<bool>& started) {
  return [&started](const json&, TaskContext& context) {
    started = true;
    wait_until([&] { return context.stop_token().stop_requested(); }, 20s);
    return json(context.stop_token().stop_requested());
  };
}

node_impl::Job job(std::string id, int attempt, const TaskFunction& function, json params,
                   std::chrono::milliseconds timeout = 0ms, std::size_t ticket = 0) {
  return node_impl::Job{
      std::move(id), attempt, &function, std::move(params), timeout, ticket, std::make_shared<node_impl::TaskStop>()};
}

std::vector<node_impl::Job> jobs(const TaskFunction& function, int count, const std::string& prefix = "t") {
  std::vector<node_impl::Job> out;
  for (int i = 0; i < count; ++i) out.push_back(job(prefix + std::to_string(i), 1, function, json{i}));
  return out;
}

}  // namespace

TEST_CASE("every submitted job runs once and its result reaches the outbox" * doctest::timeout(30)) {
  Collector collector;
  TaskFunction twice = [](const json& params, TaskContext&) { return params.at(0).get<int>() * 2; };
  node_impl::WorkerPool pool(3, collector.outbox);
  CHECK(pool.threads() == 3);
  // Several submissions, so the queue is both drained and compacted on the way.
  for (int round = 0; round < 5; ++round) {
    auto batch = jobs(twice, 40, "r" + std::to_string(round) + "-");
    pool.submit(batch);
  }
  REQUIRE(collector.wait_for_results(200));
  std::set<std::string> ids;
  for (const auto& result : collector.all.results) {
    ids.insert(result.id);
    CHECK_FALSE(result.outcome.error);
  }
  CHECK(ids.size() == 200);
  CHECK(collector.all.results.size() == 200);
}

TEST_CASE("functions on the workers report progress with their task id and attempt" * doctest::timeout(30)) {
  Collector collector;
  TaskFunction reporting = [](const json&, TaskContext& context) {
    context.report_progress(json{{"task", context.task_id()}});
    return json(nullptr);
  };
  node_impl::WorkerPool pool(2, collector.outbox);
  auto batch = jobs(reporting, 4);
  pool.submit(batch);
  REQUIRE(collector.wait_for_results(4));
  REQUIRE(collector.all.progress.size() == 4);
  for (const auto& report : collector.all.progress) {
    CHECK(report.value.at("task") == report.id);
    CHECK(report.attempt == 1);
  }
}

TEST_CASE("a function reporting faster than the outbox is taken leaves one report, the latest" *
          doctest::timeout(30)) {
  Collector collector;
  std::atomic<bool> reported{false};
  std::atomic<bool> release{false};
  TaskFunction chatty = [&](const json&, TaskContext& context) {
    for (int i = 1; i <= 1000; ++i) context.report_progress(i);
    reported = true;
    wait_until([&] { return release.load(); }, 20s);
    return json(nullptr);
  };
  node_impl::WorkerPool pool(1, collector.outbox);
  std::vector<node_impl::Job> batch;
  batch.push_back(job("0000000000000001", 3, chatty, nullptr, 0ms, 7));
  pool.submit(batch);
  // Nothing takes the outbox while the function reports.
  REQUIRE(wait_until([&] { return reported.load(); }));
  release = true;
  REQUIRE(collector.wait_for_results(1));
  REQUIRE(collector.all.progress.size() == 1);
  CHECK(collector.all.progress[0].id == "0000000000000001");
  CHECK(collector.all.progress[0].attempt == 3);
  CHECK(collector.all.progress[0].value == 1000);
  CHECK(collector.all.results[0].ticket == 7);
}

TEST_CASE("queued jobs no worker has started can be discarded" * doctest::timeout(30)) {
  Collector collector;
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  TaskFunction blocking = [&](const json&, TaskContext&) {
    ++started;
    wait_until([&] { return release.load(); }, 20s);
    return json(nullptr);
  };
  node_impl::WorkerPool pool(1, collector.outbox);
  auto batch = jobs(blocking, 5);
  pool.submit(batch);
  REQUIRE(wait_until([&] { return started.load() == 1; }));
  std::vector<node_impl::Job> dropped;
  pool.discard_queued(dropped);
  REQUIRE(dropped.size() == 4);
  CHECK(dropped[0].id == "t1");
  CHECK(dropped[3].id == "t4");
  release = true;
  REQUIRE(collector.wait_for_results(1));
  std::this_thread::sleep_for(50ms);
  collector.collect();
  CHECK(collector.all.results.size() == 1);
  CHECK(started.load() == 1);
}

TEST_CASE("request_stop fires the stop token of running functions" * doctest::timeout(30)) {
  Collector collector;
  std::atomic<bool> started{false};
  node_impl::WorkerPool pool(1, collector.outbox);
  TaskFunction function = until_stopped(started);  // jobs() keep a pointer to it
  auto batch = jobs(function, 1);
  pool.submit(batch);
  REQUIRE(wait_until([&] { return started.load(); }));
  pool.request_stop();
  REQUIRE(collector.wait_for_results(1));
  CHECK(collector.all.results[0].outcome.result == true);
}

TEST_CASE("a job past its timeout gets its stop token fired and reports timed_out instead of its result" *
          doctest::timeout(30)) {
  Collector collector;
  std::atomic<bool> started{false};
  node_impl::WorkerPool pool(1, collector.outbox);
  TaskFunction function = until_stopped(started);  // jobs() keep a pointer to it
  auto batch = jobs(function, 1);
  batch[0].timeout = 50ms;
  auto start = std::chrono::steady_clock::now();
  pool.submit(batch);
  REQUIRE(collector.wait_for_results(1));
  CHECK(std::chrono::steady_clock::now() - start >= 50ms);
  const auto& outcome = collector.all.results[0].outcome;
  CHECK(outcome.result.is_null());
  REQUIRE(outcome.error);
  CHECK(outcome.error->code == rpc::kTimedOut);
  CHECK(outcome.error->message == "task timed out after 50 ms");
}

TEST_CASE("a job that returns within its timeout reports its result, and its timer does not fire later" *
          doctest::timeout(30)) {
  Collector collector;
  std::atomic<bool> stopped_later{false};
  TaskFunction quick = [](const json& params, TaskContext&) { return params; };
  // Runs after `quick` on the same worker: a stray timer of the first job would fire
  // this one's token too if the two shared it.
  TaskFunction watchful = [&](const json&, TaskContext& context) {
    wait_until([&] { return context.stop_token().stop_requested(); }, 300ms);
    stopped_later = context.stop_token().stop_requested();
    return json("watched");
  };
  node_impl::WorkerPool pool(1, collector.outbox);
  std::vector<node_impl::Job> batch;
  batch.push_back(job("0000000000000001", 1, quick, json{7}, 100ms, 0));
  batch.push_back(job("0000000000000002", 1, watchful, nullptr, 10000ms, 1));
  pool.submit(batch);
  REQUIRE(collector.wait_for_results(2));
  CHECK(collector.all.results[0].outcome.result == json{7});
  CHECK_FALSE(collector.all.results[0].outcome.error);
  CHECK(collector.all.results[1].outcome.result == "watched");
  CHECK_FALSE(stopped_later.load());
}

TEST_CASE("request_stop also fires the stop token of a job with a timeout" * doctest::timeout(30)) {
  Collector collector;
  std::atomic<bool> started{false};
  node_impl::WorkerPool pool(1, collector.outbox);
  TaskFunction function = until_stopped(started);  // jobs() keep a pointer to it
  auto batch = jobs(function, 1);
  batch[0].timeout = 60000ms;
  pool.submit(batch);
  REQUIRE(wait_until([&] { return started.load(); }));
  pool.request_stop();
  REQUIRE(collector.wait_for_results(1));
  CHECK(collector.all.results[0].outcome.result == true);
}

TEST_CASE("a cancelled job gets its stop token fired and reports cancelled whatever its function returns" *
          doctest::timeout(30)) {
  Collector collector;
  std::atomic<bool> started{false};
  node_impl::WorkerPool pool(1, collector.outbox);
  TaskFunction function = until_stopped(started);  // jobs() keep a pointer to it
  auto batch = jobs(function, 1);
  auto stop = batch[0].stop;
  pool.submit(batch);
  REQUIRE(wait_until([&] { return started.load(); }));
  stop->cancel();
  REQUIRE(collector.wait_for_results(1));
  const auto& outcome = collector.all.results[0].outcome;
  CHECK(outcome.result.is_null());
  REQUIRE(outcome.error);
  CHECK(outcome.error->to_json() ==
        json{{"code", rpc::kCancelled}, {"message", "task cancelled"}, {"data", {{"type", "zerotask::Cancelled"}}}});
}

TEST_CASE("a job cancelled before a worker takes it is reported cancelled without being started" *
          doctest::timeout(30)) {
  Collector collector;
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  TaskFunction blocking = [&](const json&, TaskContext&) {
    ++started;
    wait_until([&] { return release.load(); }, 20s);
    return json("ran");
  };
  node_impl::WorkerPool pool(1, collector.outbox);
  auto batch = jobs(blocking, 2);
  auto queued = batch[1].stop;
  pool.submit(batch);
  REQUIRE(wait_until([&] { return started.load() == 1; }));
  queued->cancel();
  release = true;
  REQUIRE(collector.wait_for_results(2));
  CHECK(started.load() == 1);
  CHECK(collector.all.results[0].outcome.result == "ran");
  CHECK(collector.all.results[1].id == "t1");
  REQUIRE(collector.all.results[1].outcome.error);
  CHECK(collector.all.results[1].outcome.error->code == rpc::kCancelled);
}

TEST_CASE("of a timeout and a cancel, the first to fire decides the error" * doctest::timeout(30)) {
  Collector collector;
  std::atomic<int> started{0};
  // Returns only once its token has fired and the test says so, so that both the
  // timeout and the cancel have fired by then.
  std::atomic<bool> release{false};
  TaskFunction lingering = [&](const json&, TaskContext& context) {
    ++started;
    wait_until([&] { return context.stop_token().stop_requested() && release.load(); }, 20s);
    return json("returned");
  };
  node_impl::WorkerPool pool(2, collector.outbox);
  std::vector<node_impl::Job> batch;
  batch.push_back(job("cancelled-first", 1, lingering, nullptr, 500ms));
  batch.push_back(job("timed-out-first", 1, lingering, nullptr, 50ms));
  auto cancelled_first = batch[0].stop;
  auto timed_out_first = batch[1].stop;
  pool.submit(batch);
  REQUIRE(wait_until([&] { return started.load() == 2; }));
  cancelled_first->cancel();
  REQUIRE(wait_until([&] { return timed_out_first->token().stop_requested(); }));
  timed_out_first->cancel();
  // Past the first job's deadline too.
  std::this_thread::sleep_for(550ms);
  release = true;
  REQUIRE(collector.wait_for_results(2));
  for (const auto& result : collector.all.results) {
    CAPTURE(result.id);
    REQUIRE(result.outcome.error);
    CHECK(result.outcome.error->code == (result.id == "cancelled-first" ? rpc::kCancelled : rpc::kTimedOut));
  }
}

TEST_CASE("every partial result a function reports reaches the outbox, in order, before its result" *
          doctest::timeout(30)) {
  Collector collector;
  TaskFunction streaming = [](const json&, TaskContext& context) {
    for (int i = 0; i < 1000; ++i) context.report_partial(i);
    return json("streamed");
  };
  node_impl::WorkerPool pool(1, collector.outbox);
  std::vector<node_impl::Job> batch;
  batch.push_back(job("0000000000000001", 2, streaming, nullptr));
  pool.submit(batch);
  REQUIRE(collector.wait_for_results(1));
  // The result came out of the outbox: every partial pushed before it had too.
  REQUIRE(collector.all.partials.size() == 1000);
  for (int i = 0; i < 1000; ++i) {
    CHECK(collector.all.partials[i].value == i);
    CHECK(collector.all.partials[i].attempt == 2);
  }
  CHECK(collector.all.results[0].outcome.result == "streamed");
}

TEST_CASE("destroying the pool fires the stop token and waits for running functions" * doctest::timeout(30)) {
  Collector collector;
  std::atomic<bool> started{false};
  std::atomic<bool> returned{false};
  TaskFunction notes_its_return = [&](const json&, TaskContext& context) {
    started = true;
    wait_until([&] { return context.stop_token().stop_requested(); }, 20s);
    returned = true;
    return json(nullptr);
  };
  {
    node_impl::WorkerPool pool(2, collector.outbox);
    auto batch = jobs(notes_its_return, 1);
    pool.submit(batch);
    REQUIRE(wait_until([&] { return started.load(); }));
  }
  CHECK(returned.load());
}

}  // namespace zerotask::testing

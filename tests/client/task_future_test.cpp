// zerotask::TaskFuture against a fake broker: submission, long polls, results and
// errors, cancellation, progress, thousands in flight, and the end of the Client.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "client_test_helpers.hpp"
#include "fake_broker.hpp"
#include "test_support.hpp"
#include "zerotask/client.hpp"
#include "zerotask/rpc_error.hpp"

using namespace std::chrono_literals;
using zerotask::json;
using zerotask::TaskState;
using zerotask::testing::FakeBroker;
using zerotask::testing::add;
using zerotask::testing::quick_options;
using zerotask::testing::wait_until;

TEST_CASE("submit returns a future that completes with the result" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("add", 5, 6);
  REQUIRE(future.wait(5s));
  CHECK(future.result() == json(11));
  CHECK(future.id().size() == 16);
  CHECK(future.status() == TaskState::Succeeded);
  json params = broker.last_params("task.submit");
  CHECK(params["function"] == "add");
  CHECK_FALSE(params.contains("wait"));
}

TEST_CASE("wait returns false while the task is not final, then true once it is" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("slow", 1);
  CHECK_FALSE(future.wait(100ms));
  CHECK(future.status() == TaskState::Running);
  broker.finish(future.id(), "done");
  REQUIRE(future.wait(5s));
  CHECK(future.result() == "done");
}

TEST_CASE("a failed task makes result() throw TaskFailed with the task's error" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("slow");
  broker.fail(future.id(), {zerotask::rpc::kTaskFailed, "boom", {{"type", "std::runtime_error"}}});
  REQUIRE(future.wait(5s));
  try {
    future.result();
    FAIL("result did not throw");
  } catch (const zerotask::TaskFailed& error) {
    CHECK(std::string(error.what()) == "boom");
    CHECK(error.code() == zerotask::rpc::kTaskFailed);
    CHECK(error.data()["type"] == "std::runtime_error");
    CHECK(error.data()["task"] == future.id());
  }
  CHECK(future.status() == TaskState::Failed);
}

TEST_CASE("cancel() cancels a queued task and result() throws Cancelled" * doctest::timeout(30)) {
  FakeBroker broker;
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("nobody");
  CHECK(future.status() == TaskState::Queued);
  future.cancel();
  REQUIRE(future.wait(5s));
  CHECK_THROWS_AS(future.result(), zerotask::Cancelled);
  CHECK(future.status() == TaskState::Cancelled);
}

TEST_CASE("cancel() of a running task asks the broker to stop it and the future waits for the outcome" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("slow");
  future.cancel();
  CHECK(broker.requests("task.cancel") == 1);
  CHECK(broker.task(future.id())["cancel_requested"] == true);
  CHECK_FALSE(future.wait(50ms));
}

TEST_CASE("cancel() of a finished task throws ProtocolError not_cancellable" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.serve("add", add);
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("add", 1, 2);
  REQUIRE(future.wait(5s));
  try {
    future.cancel();
    FAIL("cancel did not throw");
  } catch (const zerotask::ProtocolError& error) {
    CHECK(error.code() == zerotask::rpc::kNotCancellable);
  }
}

TEST_CASE("a refused submission makes id() and result() throw ProtocolError" * doctest::timeout(30)) {
  FakeBroker broker;
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::SubmitOptions options;
  options.require_node = true;
  zerotask::TaskFuture future = client.submit_params("nobody", json::array(), options);
  try {
    future.id();
    FAIL("id did not throw");
  } catch (const zerotask::ProtocolError& error) {
    CHECK(error.code() == zerotask::rpc::kNoNode);
  }
  REQUIRE(future.wait(1s));
  CHECK_THROWS_AS(future.result(), zerotask::ProtocolError);
}

TEST_CASE("long polls that end before the task does are sent again" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  broker.cap_waits(20ms);
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("slow");
  REQUIRE(wait_until([&] { return broker.requests("task.wait") >= 3; }, 5s));
  CHECK_FALSE(future.wait(0ms));
  CHECK(broker.last_params("task.wait") == json{{"id", future.id()}, {"timeout_ms", 60000}});
  broker.finish(future.id(), 7);
  REQUIRE(future.wait(5s));
  CHECK(future.result() == json(7));
}

TEST_CASE("five thousand futures from several threads complete over one client" * doctest::timeout(60)) {
  FakeBroker broker;
  broker.hold("work");
  broker.cap_waits(500ms);
  zerotask::Client client(broker.endpoint(), quick_options());

  constexpr int kThreads = 4;
  constexpr int kPerThread = 1250;
  using Submitted = std::vector<std::pair<int, zerotask::TaskFuture>>;
  std::vector<std::future<Submitted>> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.push_back(std::async(std::launch::async, [&client, t] {
      Submitted mine;
      for (int i = 0; i < kPerThread; ++i) {
        int value = t * kPerThread + i;
        mine.emplace_back(value, client.submit("work", value));
      }
      return mine;
    }));
  }
  Submitted futures;
  for (auto& submitter : submitters) {
    Submitted mine = submitter.get();
    futures.insert(futures.end(), mine.begin(), mine.end());
  }
  REQUIRE(futures.size() == kThreads * kPerThread);
  REQUIRE(wait_until([&] { return broker.tasks_of("work").size() == futures.size(); }, 20s));
  // Newest first: the answers come back in the reverse order of the requests.
  broker.finish_all("work", [](const json& params) { return params[0]; });

  int correct = 0;
  for (const auto& [value, future] : futures) {
    if (!future.wait(10s)) break;
    if (future.result() == json(value)) ++correct;
  }
  CHECK(correct == kThreads * kPerThread);
}

TEST_CASE("on_progress callbacks receive the progress published for the task" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("count");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("count", 10);
  std::mutex mutex;
  std::vector<json> seen;
  future.on_progress([&](const json& progress) {
    std::lock_guard lock(mutex);
    seen.push_back(progress);
  });
  auto received = [&] {
    std::lock_guard lock(mutex);
    return !seen.empty();
  };
  // The subscription takes effect asynchronously; publish until it has.
  int current = 0;
  REQUIRE(wait_until(
      [&] {
        broker.publish_progress(future.id(), {{"current", ++current}, {"total", 10}});
        return received();
      },
      10s));
  broker.publish_progress("ffffffffffffffff", {{"current", 1}, {"total", 1}});
  broker.finish(future.id(), 10);
  REQUIRE(future.wait(5s));
  std::lock_guard lock(mutex);
  for (const json& progress : seen) CHECK(progress["total"] == 10);
}

namespace {

// The partial results an on_partial() callback saw, as (index, partial) pairs.
class SeenPartials {
 public:
  std::function<void(const json&, std::size_t)> callback() {
    return [this](const json& partial, std::size_t index) {
      std::lock_guard lock(mutex_);
      seen_.emplace_back(index, partial);
    };
  }
  std::vector<std::pair<std::size_t, json>> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::size_t, json>> seen_;
};

}  // namespace

TEST_CASE("on_partial callbacks receive each partial result with its index, in order" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("stream");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("stream");
  SeenPartials partials;
  future.on_partial(partials.callback());
  // The subscription takes effect asynchronously; stream until it has.
  int sent = 0;
  REQUIRE(wait_until(
      [&] {
        broker.stream_partial(future.id(), {{"row", sent++}});
        return !partials.seen().empty();
      },
      10s));
  std::size_t first = partials.seen().front().first;
  broker.stream_partial(future.id(), {{"row", sent++}});
  broker.stream_partial(future.id(), {{"row", sent++}});
  REQUIRE(wait_until([&] { return partials.seen().back().first == static_cast<std::size_t>(sent - 1); }, 5s));
  auto seen = partials.seen();
  for (std::size_t k = 0; k < seen.size(); ++k) {
    CHECK(seen[k].first == first + k);
    CHECK(seen[k].second == json{{"row", first + k}});
  }
  broker.finish(future.id(), "done");
  REQUIRE(future.wait(5s));
  CHECK(partials.seen().size() == seen.size());
}

TEST_CASE("partial results whose events were missed reach on_partial from the final task before the future completes" *
          doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("stream");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("stream");
  SeenPartials partials;
  future.on_partial(partials.callback());
  REQUIRE(wait_until(
      [&] {
        broker.stream_partial(future.id(), "live");
        return !partials.seen().empty();
      },
      10s));
  // Events still on their way arrive, in order, before the ones left out.
  std::size_t streamed = broker.task(future.id())["partials"].size();
  REQUIRE(wait_until([&] { return partials.seen().back().first == streamed - 1; }, 5s));
  std::size_t live = partials.seen().size();
  broker.keep_partial(future.id(), "missed 1");
  broker.keep_partial(future.id(), "missed 2");
  broker.finish(future.id(), "done");
  REQUIRE(future.wait(5s));
  auto seen = partials.seen();
  REQUIRE(seen.size() == live + 2);
  CHECK(seen[live].first == streamed);
  CHECK(seen[live].second == "missed 1");
  CHECK(seen[live + 1].first == streamed + 1);
  CHECK(seen[live + 1].second == "missed 2");
}

TEST_CASE("on_progress sees only progress and on_partial only partial results" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("stream");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture future = client.submit("stream");
  std::mutex mutex;
  std::vector<json> progress_seen;
  future.on_progress([&](const json& progress) {
    std::lock_guard lock(mutex);
    progress_seen.push_back(progress);
  });
  SeenPartials partials;
  future.on_partial(partials.callback());
  REQUIRE(wait_until(
      [&] {
        broker.publish_progress(future.id(), {{"done", 1}, {"total", 2}});
        broker.stream_partial(future.id(), "part");
        std::lock_guard lock(mutex);
        return !progress_seen.empty() && !partials.seen().empty();
      },
      10s));
  broker.finish(future.id(), nullptr);
  REQUIRE(future.wait(5s));
  std::lock_guard lock(mutex);
  for (const json& progress : progress_seen) CHECK(progress == json{{"done", 1}, {"total", 2}});
  for (const auto& [index, partial] : partials.seen()) CHECK(partial == "part");
}

TEST_CASE("as_std_future gives a shared_future holding the result or the exception" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());

  zerotask::TaskFuture ok = client.submit("slow", 1);
  std::shared_future<json> early = ok.as_std_future();
  CHECK(early.wait_for(50ms) == std::future_status::timeout);
  broker.finish(ok.id(), "yes");
  REQUIRE(early.wait_for(5s) == std::future_status::ready);
  CHECK(early.get() == "yes");
  CHECK(ok.as_std_future().get() == "yes");

  zerotask::TaskFuture bad = client.submit("slow", 2);
  broker.fail(bad.id(), {zerotask::rpc::kTaskFailed, "no", nullptr});
  REQUIRE(bad.wait(5s));
  std::shared_future<json> late = bad.as_std_future();
  REQUIRE(late.wait_for(1s) == std::future_status::ready);
  CHECK_THROWS_AS(late.get(), zerotask::TaskFailed);
}

TEST_CASE("attach follows a task submitted elsewhere" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  zerotask::Client client(broker.endpoint(), quick_options());
  std::string id = client.submit("slow").id();

  zerotask::Client other(broker.endpoint(), quick_options());
  zerotask::TaskFuture attached = other.attach(id);
  CHECK(attached.id() == id);
  CHECK_FALSE(attached.wait(50ms));
  broker.finish(id, 3);
  REQUIRE(attached.wait(5s));
  CHECK(attached.result() == json(3));

  zerotask::TaskFuture unknown = other.attach("00000000000000ff");
  REQUIRE(unknown.wait(5s));
  try {
    unknown.result();
    FAIL("result did not throw");
  } catch (const zerotask::ProtocolError& error) {
    CHECK(error.code() == zerotask::rpc::kNotFound);
  }
}

TEST_CASE("closing the client fails pending futures, and using them later throws" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("slow");
  auto client = std::make_unique<zerotask::Client>(broker.endpoint(), quick_options());
  zerotask::TaskFuture future = client->submit("slow");
  future.id();
  std::shared_future<json> standard = future.as_std_future();

  client.reset();
  REQUIRE(future.wait(1s));
  try {
    future.result();
    FAIL("result did not throw");
  } catch (const zerotask::BrokerUnreachable& error) {
    CHECK(std::string(error.what()) == "client closed");
  }
  CHECK_THROWS_AS(standard.get(), zerotask::BrokerUnreachable);
  CHECK_THROWS_AS(future.status(), zerotask::BrokerUnreachable);
  CHECK_THROWS_AS(future.cancel(), zerotask::BrokerUnreachable);
  CHECK_THROWS_AS(future.on_progress([](const json&) {}), zerotask::BrokerUnreachable);
}

TEST_CASE("a blocking call from a progress callback is refused instead of deadlocking" * doctest::timeout(30)) {
  FakeBroker broker;
  broker.hold("count");
  zerotask::Client client(broker.endpoint(), quick_options());
  zerotask::TaskFuture future = client.submit("count");

  std::atomic<bool> refused{false};
  future.on_progress([&](const json&) {
    try {
      future.status();
    } catch (const std::logic_error&) {
      refused = true;
    }
  });
  REQUIRE(wait_until(
      [&] {
        broker.publish_progress(future.id(), 1);
        return refused.load();
      },
      10s));
  broker.finish(future.id(), nullptr);
  CHECK(future.wait(5s));
}

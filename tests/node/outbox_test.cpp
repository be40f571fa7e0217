// The Outbox: results, progress and partial results handed over in batches, with a wake-up.
#include <doctest/doctest.h>

#include <poll.h>

#include "outbox.hpp"

namespace zerotask::testing {
namespace {

bool raised(const Wakeup& wakeup) {
  pollfd item{wakeup.fd(), POLLIN, 0};
  return ::poll(&item, 1, 0) == 1;
}

}  // namespace

TEST_CASE("everything pushed before a take comes out in that one take, in order" * doctest::timeout(30)) {
  Wakeup wakeup;
  node_impl::Outbox outbox(wakeup);
  CHECK_FALSE(raised(wakeup));
  outbox.push_result(node_impl::TaskResult{"a", 1, {1, std::nullopt}});
  CHECK(raised(wakeup));
  node_impl::ProgressTicket ticket;
  outbox.push_progress("b", 1, 50, ticket);
  outbox.push_result(node_impl::TaskResult{"b", 1, {2, std::nullopt}});
  wakeup.clear();
  node_impl::OutboxBatch batch;
  outbox.take(batch);
  REQUIRE(batch.results.size() == 2);
  CHECK(batch.results[0].id == "a");
  CHECK(batch.results[1].id == "b");
  REQUIRE(batch.progress.size() == 1);
  CHECK(batch.progress[0].value == 50);
  batch.clear();
  outbox.take(batch);
  CHECK(batch.empty());
}

TEST_CASE("the first push after a take raises the wake-up again" * doctest::timeout(30)) {
  Wakeup wakeup;
  node_impl::Outbox outbox(wakeup);
  node_impl::OutboxBatch batch;
  node_impl::ProgressTicket ticket;
  outbox.push_progress("a", 1, 1, ticket);
  wakeup.clear();
  outbox.take(batch);
  batch.clear();
  CHECK_FALSE(raised(wakeup));
  outbox.push_progress("a", 1, 2, ticket);
  CHECK(raised(wakeup));
}

TEST_CASE("a task reporting again before a take replaces its waiting report and keeps its place" *
          doctest::timeout(30)) {
  Wakeup wakeup;
  node_impl::Outbox outbox(wakeup);
  node_impl::ProgressTicket first;
  node_impl::ProgressTicket second;
  outbox.push_progress("a", 1, 1, first);
  outbox.push_progress("b", 1, 10, second);
  outbox.push_progress("a", 1, 2, first);
  outbox.push_progress("a", 1, 3, first);
  outbox.push_progress("b", 1, 20, second);
  node_impl::OutboxBatch batch;
  outbox.take(batch);
  REQUIRE(batch.progress.size() == 2);
  CHECK(batch.progress[0].id == "a");
  CHECK(batch.progress[0].value == 3);
  CHECK(batch.progress[1].id == "b");
  CHECK(batch.progress[1].value == 20);
  // After the take the ticket is stale: the next report is a new entry.
  batch.clear();
  wakeup.clear();
  outbox.push_progress("a", 1, 4, first);
  CHECK(raised(wakeup));
  outbox.take(batch);
  REQUIRE(batch.progress.size() == 1);
  CHECK(batch.progress[0].id == "a");
  CHECK(batch.progress[0].attempt == 1);
  CHECK(batch.progress[0].value == 4);
}

TEST_CASE("every partial result is kept, in the order pushed, and the first raises the wake-up" *
          doctest::timeout(30)) {
  Wakeup wakeup;
  node_impl::Outbox outbox(wakeup);
  node_impl::ProgressTicket ticket;
  outbox.push_partial("a", 1, 1);
  CHECK(raised(wakeup));
  outbox.push_progress("a", 1, 50, ticket);
  outbox.push_partial("b", 2, 10);
  outbox.push_partial("a", 1, 2);
  outbox.push_partial("a", 1, 2);
  outbox.push_result(node_impl::TaskResult{"a", 1, {"done", std::nullopt}});
  node_impl::OutboxBatch batch;
  outbox.take(batch);
  REQUIRE(batch.partials.size() == 4);
  json seen = json::array();
  for (const auto& partial : batch.partials) {
    CHECK(partial.kind == node_impl::ReportKind::Partial);
    seen.push_back(json{partial.id, partial.attempt, partial.value});
  }
  CHECK(seen == json{{"a", 1, 1}, {"b", 2, 10}, {"a", 1, 2}, {"a", 1, 2}});
  REQUIRE(batch.progress.size() == 1);
  CHECK(batch.progress[0].kind == node_impl::ReportKind::Progress);
  CHECK(batch.results.size() == 1);
  batch.clear();
  CHECK(batch.empty());
}

}  // namespace zerotask::testing

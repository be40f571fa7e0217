#include <doctest/doctest.h>

#include "function_limits.hpp"
#include "periodic_schedules.hpp"
#include "scheduler_fixture.hpp"
#include "store/memory_task_store.hpp"
#include "zerotask/error_codes.hpp"
#include "zerotask/rpc_error.hpp"

using namespace zerotask::broker;
using zerotask::broker::testing::error_code_of;
using zerotask::broker::testing::Fixture;
using zerotask::broker::testing::test_config;
using zerotask::json;
using namespace std::chrono_literals;

TEST_CASE("limits refuse a rate outside 0.000001 to 1000000, a burst without a rate, no limit at all and a reserved name" *
          doctest::timeout(10)) {
  MemoryTaskStore store;
  auto now = std::chrono::steady_clock::now();
  FunctionLimits limits(store, now);
  CHECK_THROWS_WITH(limits.set(json{{"function", "f"}, {"rate_per_s", 1e-20}}, now),
                    doctest::Contains("rate_per_s must be a number from 0.000001 to 1000000"));
  CHECK_THROWS_WITH(limits.set(json{{"function", "f"}, {"rate_per_s", 2e6}}, now), doctest::Contains("rate_per_s"));
  CHECK_THROWS_WITH(limits.set(json{{"function", "f"}, {"rate_per_s", "fast"}}, now), doctest::Contains("rate_per_s"));
  CHECK_THROWS_WITH(limits.set(json{{"function", "f"}, {"burst", 3}}, now), doctest::Contains("burst needs rate_per_s"));
  CHECK_THROWS_WITH(limits.set(json{{"function", "f"}}, now), doctest::Contains("give rate_per_s, concurrency or both"));
  CHECK_THROWS_WITH(limits.set(json{{"function", "f"}, {"concurrency", 0}}, now), doctest::Contains("concurrency"));
  CHECK_THROWS_WITH(limits.set(json{{"function", "task.get"}, {"concurrency", 1}}, now),
                    doctest::Contains("reserved namespace"));
  CHECK(error_code_of([&] { limits.remove(json{{"function", "f"}}); }) == zerotask::rpc::kNotFound);
  CHECK(limits.list()["limits"].empty());
}

TEST_CASE("a rate limit lets its burst through, then one task per token, and says when the next comes" *
          doctest::timeout(10)) {
  MemoryTaskStore store;
  auto now = std::chrono::steady_clock::now();
  FunctionLimits limits(store, now);
  CHECK(limits.set(json{{"function", "f"}, {"rate_per_s", 10}, {"burst", 2}}, now) ==
        json{{"function", "f"}, {"rate_per_s", 10.0}, {"burst", 2}});
  for (int i = 0; i < 2; ++i) {
    CHECK(limits.held_reason("f", 0, now).empty());
    limits.started("f");
  }
  CHECK(limits.held_reason("f", 0, now) == "rate limit: 10 task(s) of f a second");
  auto token = limits.next_token("f", now);
  REQUIRE(token.has_value());
  CHECK(*token - now >= 99ms);
  CHECK(*token - now <= 101ms);
  CHECK(limits.held_reason("f", 0, now + 100ms).empty());
  CHECK(limits.held_reason("g", 1000, now).empty());  // no limits on g
}

TEST_CASE("a concurrency limit holds a function at that many running tasks" * doctest::timeout(10)) {
  MemoryTaskStore store;
  auto now = std::chrono::steady_clock::now();
  FunctionLimits limits(store, now);
  limits.set(json{{"function", "f"}, {"concurrency", 2}}, now);
  CHECK(limits.held_reason("f", 1, now).empty());
  CHECK(limits.held_reason("f", 2, now) == "concurrency limit: 2 task(s) of f running");
  CHECK_FALSE(limits.next_token("f", now).has_value());
}

TEST_CASE("limits are kept as settings and come back, with full buckets, over the same store" * doctest::timeout(10)) {
  MemoryTaskStore store;
  auto now = std::chrono::steady_clock::now();
  {
    FunctionLimits limits(store, now);
    limits.set(json{{"function", "f"}, {"rate_per_s", 1}, {"concurrency", 3}}, now);
    limits.set(json{{"function", "g"}, {"concurrency", 1}}, now);
    limits.remove(json{{"function", "g"}});
    limits.started("f");
  }
  FunctionLimits again(store, now);
  CHECK(again.list() == json{{"limits", {json{{"function", "f"}, {"rate_per_s", 1.0}, {"burst", 1}, {"concurrency", 3}}}}});
  CHECK(again.held_reason("f", 0, now).empty());
}

TEST_CASE("schedules and limits cannot change while the store cannot write" * doctest::timeout(10)) {
  Fixture f;
  PeriodicSchedules schedules(f.store, f.scheduler, f.now);
  json tick = {{"name", "tick"}, {"interval_ms", 1000}, {"task", {{"function", "echo"}}}};
  schedules.add(tick);
  f.scheduler.set_store_available(false, "disk full");
  CHECK(error_code_of([&] { schedules.add(tick); }) == zerotask::rpc::kStoreUnavailable);
  CHECK(error_code_of([&] { schedules.remove(json{{"name", "tick"}}); }) == zerotask::rpc::kStoreUnavailable);
  CHECK(error_code_of([&] { f.scheduler.set_limits(json{{"function", "f"}, {"concurrency", 1}}, f.now); }) ==
        zerotask::rpc::kStoreUnavailable);
  f.scheduler.set_store_available(true, "");
  CHECK(schedules.list()["schedules"].size() == 1);
}

TEST_CASE("a schedule whose task params pass the payload limit is refused when added" * doctest::timeout(10)) {
  zerotask::broker::SchedulerConfig config = test_config();
  config.max_payload_bytes = 16;
  Fixture f(config);
  PeriodicSchedules schedules(f.store, f.scheduler, f.now);
  json big = {{"name", "big"}, {"interval_ms", 1000}, {"task", {{"function", "echo"}, {"params", {std::string(32, 'x')}}}}};
  CHECK(error_code_of([&] { schedules.add(big); }) == zerotask::rpc::kOverloaded);
  CHECK(schedules.list()["schedules"].empty());
}

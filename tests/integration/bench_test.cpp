#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace zerotask::testing;

TEST_CASE("zt-bench --json measures every figure beside its reference" * doctest::timeout(120)) {
  auto run = run_command(bin_dir() + "/zt-bench", {"--tasks", "2000", "--calls", "100", "--queued", "5000", "--json"},
                         std::chrono::seconds(100));
  REQUIRE(run.exit_code == 0);
  // Progress goes to stderr, which run_command mixes in: the JSON object is the
  // line that starts with '{'.
  std::string text = "\n" + run.output;
  auto start = text.find("\n{");
  REQUIRE(start != std::string::npos);
  auto figures = nlohmann::json::parse(text.substr(start + 1, text.find('\n', start + 1) - start - 1));
  for (const char* key : {"throughput_tps", "fire_and_forget_tps", "call_p50_us", "call_p99_us",
                          "rss_per_queued_task_bytes", "ref_throughput_tps", "ref_p50_us"}) {
    CAPTURE(key);
    REQUIRE(figures.contains(key));
    CHECK(figures[key].is_number());
    CHECK(figures[key].get<double>() > 0);
  }
}

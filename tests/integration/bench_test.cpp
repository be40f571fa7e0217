#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace zerotask::testing;

namespace {

// Progress goes to stderr, which run_command mixes in: the JSON object is the line
// that starts with '{'.
nlohmann::json json_line(const std::string& output) {
  std::string text = "\n" + output;
  auto start = text.find("\n{");
  REQUIRE(start != std::string::npos);
  return nlohmann::json::parse(text.substr(start + 1, text.find('\n', start + 1) - start - 1));
}

void require_positive(const nlohmann::json& figures, const char* key) {
  CAPTURE(key);
  REQUIRE(figures.contains(key));
  CHECK(figures[key].is_number());
  CHECK(figures[key].get<double>() > 0);
}

}  // namespace

TEST_CASE("zt-bench answers -h and --version" * doctest::timeout(60)) {
  auto help = run_command(bin_dir() + "/zt-bench", {"-h"});
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("--version") != std::string::npos);
  auto version = run_command(bin_dir() + "/zt-bench", {"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.output.find("0.1.0") != std::string::npos);
}

TEST_CASE("zt-bench --json measures every figure beside its reference and the durable store's" *
          doctest::timeout(150)) {
  TempDir store_dir;
  auto run = run_command(bin_dir() + "/zt-bench",
                         {"--tasks", "2000", "--calls", "100", "--queued", "5000", "--recover", "2000", "--store-dir",
                          store_dir.path(), "--skip-workflow", "--json"},
                         std::chrono::seconds(130));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  auto figures = json_line(run.output);
  for (const char* key :
       {"throughput_tps", "fire_and_forget_tps", "call_p50_us", "call_p99_us", "rss_per_queued_task_bytes",
        "ref_throughput_tps", "ref_p50_us", "throughput_full_tps", "throughput_normal_tps", "call_p50_full_us",
        "call_p50_normal_us", "recover_seconds", "throughput_full_ratio", "throughput_normal_ratio"}) {
    require_positive(figures, key);
  }
  // The p50 difference can have either sign.
  REQUIRE(figures.contains("call_p50_full_extra_us"));
  CHECK(figures["call_p50_full_extra_us"].is_number());
  for (const char* key : {"throughput_full", "throughput_normal", "call_p50_full"}) {
    CAPTURE(key);
    CHECK(figures["targets_met"][key].is_boolean());
  }
  // The recovery target is judged for 1,000,000 tasks only.
  CHECK(figures["targets_met"]["recover"].is_null());
  CHECK(figures["recovery"]["tasks"] == 2000);
  CHECK(figures["durable_tasks"] == 2000);  // --durable-tasks is at most --tasks
  CHECK(figures["store_filesystem"].is_string());
  // The scratch directory with the stores is gone.
  CHECK(std::filesystem::is_empty(store_dir.path()));
}

TEST_CASE("zt-bench --skip-durable and --recover 0 leave the durable figures null" * doctest::timeout(120)) {
  auto skipped = run_command(bin_dir() + "/zt-bench",
                             {"--tasks", "500", "--calls", "20", "--queued", "500", "--skip-reference",
                              "--skip-durable", "--skip-workflow", "--json"},
                             std::chrono::seconds(50));
  INFO(skipped.output);
  REQUIRE(skipped.exit_code == 0);
  auto figures = json_line(skipped.output);
  for (const char* key : {"throughput_full_tps", "call_p50_full_us", "recover_seconds", "throughput_full_ratio"}) {
    CAPTURE(key);
    REQUIRE(figures.contains(key));
    CHECK(figures[key].is_null());
  }
  CHECK(figures["targets_met"]["throughput_full"].is_null());
  require_positive(figures, "throughput_tps");
  for (const char* key : {"workflow_chains_s", "workflow_chain_ratio", "workflow_groups_s", "workflow_chords_s"}) {
    CAPTURE(key);
    REQUIRE(figures.contains(key));
    CHECK(figures[key].is_null());
  }
  CHECK(figures["targets_met"]["workflow_chains"].is_null());

  TempDir store_dir;
  auto no_recovery = run_command(bin_dir() + "/zt-bench",
                                 {"--tasks", "500", "--calls", "20", "--queued", "500", "--skip-reference", "--recover",
                                  "0", "--store-dir", store_dir.path(), "--skip-workflow", "--json"},
                                 std::chrono::seconds(50));
  INFO(no_recovery.output);
  REQUIRE(no_recovery.exit_code == 0);
  figures = json_line(no_recovery.output);
  CHECK(figures["recover_seconds"].is_null());
  require_positive(figures, "throughput_full_tps");
  CHECK(std::filesystem::is_empty(store_dir.path()));
}

TEST_CASE("zt-bench --json times chains, groups and chords beside as many plain tasks" * doctest::timeout(120)) {
  auto run = run_command(bin_dir() + "/zt-bench",
                         {"--tasks", "500", "--calls", "20", "--queued", "500", "--skip-reference", "--skip-durable",
                          "--chains", "50", "--groups", "5", "--group-size", "10", "--json"},
                         std::chrono::seconds(100));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  auto figures = json_line(run.output);
  for (const char* key : {"workflow_chains_s", "workflow_chain_plain_s", "workflow_chain_ratio", "workflow_groups_s",
                          "workflow_group_plain_s", "workflow_group_ratio", "workflow_chords_s",
                          "workflow_chord_plain_s", "workflow_chord_ratio"}) {
    require_positive(figures, key);
  }
  for (const char* key : {"workflow_chains", "workflow_groups", "workflow_chords"}) {
    CAPTURE(key);
    CHECK(figures["targets_met"][key].is_boolean());
  }
  CHECK(figures["chains"] == 50);
  CHECK(figures["groups"] == 5);
  CHECK(figures["group_size"] == 10);
}

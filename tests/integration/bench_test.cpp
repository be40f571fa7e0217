#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "raw_peer.hpp"
#include "zerotask/cpu_affinity.hpp"
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

// What the reference broker sends its worker: [client routing id, body]; the
// client frame is empty for a notification's answer, which goes to no one.
struct WorkerRequest {
  std::string client;
  nlohmann::json message;
};

std::optional<WorkerRequest> receive_work(zmq::socket_t& worker, std::chrono::milliseconds timeout) {
  std::vector<zmq::pollitem_t> items = {{worker.handle(), 0, ZMQ_POLLIN, 0}};
  if (zmq::poll(items, timeout) == 0) return std::nullopt;
  std::vector<zmq::message_t> frames;
  REQUIRE(zmq::recv_multipart(worker, std::back_inserter(frames)));
  REQUIRE(frames.size() == 2);
  return WorkerRequest{frames[0].to_string(), nlohmann::json::parse(frames[1].to_string_view())};
}

void answer_work(zmq::socket_t& worker, const WorkerRequest& request) {
  std::string answer = nlohmann::json{{"jsonrpc", "2.0"}, {"id", request.message["id"]}, {"result", nullptr}}.dump();
  worker.send(zmq::buffer(request.client), zmq::send_flags::sndmore);
  worker.send(zmq::buffer(answer), zmq::send_flags::none);
}

// Writes an executable script `name` into `dir` that, before it runs the real
// program, appends to `dir`/cpus the CPUs ("Cpus_allowed_list") that it may run
// on ("server LIST"), that each ZeroMQ thread of its parent, zt-bench, may run on
// ("client LIST"; not zt-bench's main thread, pinned to the servers' CPU while it
// starts a process), and that each thread of the reference processes zt-bench
// runs at that moment may run on ("reference LIST").
void write_cpu_recording_wrapper(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n"
                      << "out=" << dir << "/cpus\n"
                      << "echo \"server $(grep Cpus_allowed_list /proc/self/status | cut -f2)\" >> $out\n"
                      << "for t in /proc/$PPID/task/*; do\n"
                      << "  case \"$(cat $t/comm)\" in ZMQbg*)\n"
                      << "    echo \"client $(grep Cpus_allowed_list $t/status | cut -f2)\" >> $out;; esac\n"
                      << "done\n"
                      << "for p in /proc/[0-9]*; do\n"
                      << "  [ \"$(cut -d' ' -f4 $p/stat 2>/dev/null)\" = \"$PPID\" ] || continue\n"
                      << "  tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q serve-reference || continue\n"
                      << "  for t in $p/task/*; do\n"
                      << "    echo \"reference $(grep Cpus_allowed_list $t/status | cut -f2)\" >> $out\n"
                      << "  done\n"
                      << "done\n"
                      << "exec " << bin_dir() << "/" << name << " \"$@\"\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
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

TEST_CASE("the reference broker lets at most its window of requests be at its worker, notifications included" *
          doctest::timeout(60)) {
  std::string endpoint = free_tcp_endpoint();
  ChildProcess broker(bin_dir() + "/zt-bench", {"--serve-reference-broker", endpoint, "--reference-window", "2"});
  zmq::context_t context;
  RawPeer worker(context, endpoint);
  worker.send({{"jsonrpc", "2.0"}, {"method", "node.hello"}, {"params", nlohmann::json::object()}});
  RawPeer client(context, endpoint);
  REQUIRE(wait_until([&] { return client.call("broker.ping")["result"].value("workers", 0) == 1; }));

  for (int id = 101; id <= 103; ++id) client.send({{"jsonrpc", "2.0"}, {"id", id}, {"method", "noop"}});
  client.send({{"jsonrpc", "2.0"}, {"method", "noop"}});
  auto first = receive_work(worker.socket(), std::chrono::seconds(5));
  auto second = receive_work(worker.socket(), std::chrono::seconds(5));
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->message["id"] == 101);
  CHECK(second->message["id"] == 102);
  // The window is full: the rest wait in the broker until an answer comes back.
  CHECK_FALSE(receive_work(worker.socket(), std::chrono::milliseconds(300)));

  answer_work(worker.socket(), *first);
  auto third = receive_work(worker.socket(), std::chrono::seconds(5));
  REQUIRE(third);
  CHECK(third->message["id"] == 103);
  CHECK_FALSE(receive_work(worker.socket(), std::chrono::milliseconds(300)));
  answer_work(worker.socket(), *second);
  // The notification comes with an id of the broker's, so that the worker answers it.
  auto notification = receive_work(worker.socket(), std::chrono::seconds(5));
  REQUIRE(notification);
  CHECK(notification->client.empty());
  CHECK(notification->message.contains("id"));
  answer_work(worker.socket(), *third);
  answer_work(worker.socket(), *notification);

  std::vector<int> answered;
  for (int i = 0; i < 3; ++i) answered.push_back(client.receive()["id"].get<int>());
  CHECK(answered == std::vector<int>{101, 102, 103});
  // The notification's answer went to no one.
  CHECK_FALSE(client.receive_text(std::chrono::milliseconds(300)));
}

TEST_CASE("zt-bench --json measures every figure beside its reference and the durable store's" *
          doctest::timeout(150)) {
  TempDir store_dir;
  auto run = run_command(bin_dir() + "/zt-bench",
                         {"--tasks", "2000", "--calls", "100", "--queued", "5000", "--recover", "2000", "--store-dir",
                          store_dir.path(), "--skip-workflow", "--settle-ms", "0", "--json"},
                         std::chrono::seconds(130));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  auto figures = json_line(run.output);
  for (const char* key :
       {"throughput_tps", "fire_and_forget_tps", "call_p50_us", "call_p99_us", "rss_per_queued_task_bytes",
        "ref_throughput_tps", "ref_fire_and_forget_tps", "ref_p50_us", "ref_pipelined_throughput_tps",
        "throughput_pipelined_ratio", "throughput_full_tps", "throughput_normal_tps", "call_p50_full_us",
        "call_p50_normal_us", "recover_seconds", "throughput_full_ratio", "throughput_normal_ratio"}) {
    require_positive(figures, key);
  }
  // The reference lets through as many requests at a time as the node has slots.
  CHECK(figures["reference_window"] == 2);
  CHECK(figures["settle_ms"] == 0);
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

TEST_CASE("zt-bench --skip-reference, --skip-durable and --recover 0 leave their figures null, and it settles "
          "100 ms before each part of a round" *
          doctest::timeout(120)) {
  const auto start = std::chrono::steady_clock::now();
  auto skipped = run_command(bin_dir() + "/zt-bench",
                             {"--tasks", "500", "--calls", "20", "--queued", "500", "--skip-reference",
                              "--skip-durable", "--skip-workflow", "--json"},
                             std::chrono::seconds(50));
  INFO(skipped.output);
  REQUIRE(skipped.exit_code == 0);
  auto figures = json_line(skipped.output);
  // 5 throughput and 5 fire-and-forget rounds of ours, 20 latency rounds of ours and
  // of the client library: 50 parts, each after 100 ms of quiet.
  CHECK(figures["settle_ms"] == 100);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(5));
  for (const char* key : {"throughput_full_tps", "call_p50_full_us", "recover_seconds", "throughput_full_ratio",
                          "ref_pipelined_throughput_tps", "throughput_pipelined_ratio"}) {
    CAPTURE(key);
    REQUIRE(figures.contains(key));
    CHECK(figures[key].is_null());
  }
  CHECK(figures["reference_window"] == 0);
  CHECK(figures["pinned"].is_null());
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
                                  "0", "--store-dir", store_dir.path(), "--skip-workflow", "--settle-ms", "0", "--json"},
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
                          "--chains", "50", "--groups", "5", "--group-size", "10", "--settle-ms", "0", "--json"},
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

TEST_CASE("zt-bench --pin runs every process it starts on one CPU and itself on another" * doctest::timeout(150)) {
  std::vector<int> cpus = zerotask::allowed_cpus();
  if (cpus.size() < 2) {
    MESSAGE("this process may run on one CPU only: --pin cannot be shown here");
    return;
  }
  TempDir bin;
  TempDir store_dir;
  write_cpu_recording_wrapper(bin.path(), "broker");
  write_cpu_recording_wrapper(bin.path(), "node");
  // With the durable store: its brokers start while the references run.
  auto run = run_command(bin_dir() + "/zt-bench",
                         {"--pin", "--bin-dir", bin.path(), "--tasks", "500", "--calls", "20", "--queued", "500",
                          "--durable-tasks", "200", "--recover", "0", "--store-dir", store_dir.path(),
                          "--skip-workflow", "--settle-ms", "0", "--json"},
                         std::chrono::seconds(130));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  auto figures = json_line(run.output);
  REQUIRE(figures["pinned"].is_object());
  CHECK(figures["pinned"]["servers_cpu"] == cpus[0]);
  CHECK(figures["pinned"]["client_cpu"] == cpus[1]);
  for (const char* key : {"throughput_tps", "call_p50_us", "ref_throughput_tps", "ref_p50_us"}) {
    require_positive(figures, key);
  }
  std::ifstream recorded(bin.path() + "/cpus");
  std::map<std::string, int> seen;
  for (std::string role, list; recorded >> role >> list;) {
    CAPTURE(role);
    CHECK(list == std::to_string(role == "client" ? cpus[1] : cpus[0]));
    ++seen[role];
  }
  // Brokers and nodes (memory, durable, memory figure); zt-bench's ZeroMQ threads;
  // the two references' threads, seen when the durable brokers started.
  CHECK(seen["server"] >= 6);
  CHECK(seen["client"] >= 1);
  CHECK(seen["reference"] >= 4);
}

TEST_CASE("zt-bench --pin refuses to run on one CPU, and beside --broker" * doctest::timeout(60)) {
  if (std::filesystem::exists("/usr/bin/taskset")) {
    auto one_cpu = run_command("/usr/bin/taskset", {"-c", std::to_string(zerotask::allowed_cpus().front()),
                                                    bin_dir() + "/zt-bench", "--pin", "--tasks", "10", "--calls", "1",
                                                    "--queued", "1", "--skip-durable", "--skip-workflow"});
    CHECK(one_cpu.exit_code == 1);
    CHECK(one_cpu.output.find("--pin needs two CPUs") != std::string::npos);
  } else {
    MESSAGE("no /usr/bin/taskset: the one-CPU refusal is not checked");
  }

  auto with_broker = run_command(bin_dir() + "/zt-bench", {"--pin", "--broker", "tcp://127.0.0.1:1"});
  CHECK(with_broker.exit_code == 2);
  CHECK(with_broker.output.find("--pin") != std::string::npos);
}

// custom_client: calls the functions custom_node serves, through zerotask::Client,
// and prints what comes back. Exits 0 when every answer is the expected one.
//
//   custom_client [BROKER_ENDPOINT]    (default tcp://127.0.0.1:5555)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <zerotask/client.hpp>

namespace {

using zerotask::json;

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::printf("UNEXPECTED: %s\n", what.c_str());
    ++failures;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help"))) {
    std::fprintf(stderr, "usage: custom_client [BROKER_ENDPOINT]   (default tcp://127.0.0.1:5555)\n");
    return argc > 2 ? 2 : 0;
  }
  std::string endpoint = argc == 2 ? argv[1] : "tcp://127.0.0.1:5555";

  try {
    zerotask::ClientOptions options;
    options.call_timeout = std::chrono::seconds(20);  // long enough for the node to connect
    zerotask::Client client(endpoint, options);

    // A blocking call: returns the function's result.
    json reversed = client.call("reverse", "hello, zerotask");
    std::printf("reverse(\"hello, zerotask\") = %s\n", reversed.dump().c_str());
    expect(reversed == "ksatorez ,olleh", "reverse result " + reversed.dump());

    // A submitted task: a future that reports progress while the node works.
    std::atomic<int> progress_reports{0};
    zerotask::TaskFuture counting = client.submit("word_count", "the quick brown fox", "jumps over", "the lazy dog");
    counting.on_progress([&](const json& progress) {
      ++progress_reports;
      std::printf("word_count progress: %s\n", progress.dump().c_str());
    });
    expect(counting.wait(std::chrono::seconds(20)), "word_count did not finish within 20 s");
    json counted = counting.result();
    std::printf("word_count(task %s) = %s\n", counting.id().c_str(), counted.dump().c_str());
    expect(counted["words"] == 9, "word_count total " + counted.dump());
    expect(counted["per_text"] == json::array({4, 2, 3}), "word_count per text " + counted.dump());
    expect(counting.status() == zerotask::TaskState::Succeeded, "word_count state");
    // Events are hints: a task this short may finish before the subscription is up.
    std::printf("word_count: %d progress report(s) seen live\n", progress_reports.load());

    // A function that raises: the error comes back as a TaskFailed exception.
    try {
      client.call("reverse", 42);
      expect(false, "reverse(42) should have failed");
    } catch (const zerotask::TaskFailed& error) {
      std::printf("reverse(42) failed as expected: %s (code %d)\n", error.what(), error.code());
      expect(std::string(error.what()) == "reverse expects exactly one string", "reverse error message");
    }
  } catch (const std::exception& error) {
    std::printf("custom_client: %s\n", error.what());
    return 1;
  }

  if (failures > 0) {
    std::printf("custom_client: %d unexpected answer(s)\n", failures);
    return 1;
  }
  std::printf("custom_client: all answers as expected\n");
  return 0;
}

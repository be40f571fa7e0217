// custom_node: a node that serves functions of its own through the zerotask::Node
// API.
//
//   custom_node [BROKER_ENDPOINT]      (default tcp://127.0.0.1:5555)
//
// Functions:
//   word_count(text...)  counts the words of each text; reports progress after each
//                        one; result {"words": <total>, "per_text": [<count>, ...]}
//   reverse(text)        the text with its characters (UTF-8 code points) reversed
//
// Stops cleanly on SIGINT or SIGTERM.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

#include <zerotask/node.hpp>
#include <zerotask/stop_signals.hpp>

namespace {

using zerotask::json;

json word_count(const json& params, zerotask::TaskContext& context) {
  if (!params.is_array() || params.empty()) {
    throw std::invalid_argument("word_count expects one or more texts");
  }
  json per_text = json::array();
  long total = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!params[i].is_string())
      throw std::invalid_argument("word_count: text " + std::to_string(i) + " is not a string");
    std::istringstream words(params[i].get<std::string>());
    long count = 0;
    for (std::string word; words >> word;) ++count;
    per_text.push_back(count);
    total += count;
    // Anyone watching the task (zt watch <id>, TaskFuture::on_progress) sees this.
    context.report_progress(static_cast<std::int64_t>(i + 1), static_cast<std::int64_t>(params.size()));
  }
  return {{"words", total}, {"per_text", per_text}};
}

// Reverses by code point so that multi-byte UTF-8 characters stay intact.
json reverse(const json& params) {
  if (!params.is_array() || params.size() != 1 || !params[0].is_string()) {
    throw std::invalid_argument("reverse expects exactly one string");
  }
  const auto& text = params[0].get_ref<const std::string&>();
  std::string reversed;
  reversed.reserve(text.size());
  std::size_t end = text.size();
  while (end > 0) {
    std::size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    reversed.append(text, start, end - start);
    end = start;
  }
  return reversed;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help"))) {
    std::fprintf(stderr, "usage: custom_node [BROKER_ENDPOINT]   (default tcp://127.0.0.1:5555)\n");
    return argc > 2 ? 2 : 0;
  }
  zerotask::NodeConfig config;
  if (argc == 2) config.broker_endpoint = argv[1];
  config.threads = 2;

  // The signal thread may fire before the node runs or after it is gone: it only
  // stops a node that is serving.
  std::mutex mutex;
  zerotask::Node* serving = nullptr;
  bool stop_requested = false;
  zerotask::StopSignals signals([&] {
    std::lock_guard lock(mutex);
    stop_requested = true;
    if (serving != nullptr) serving->stop();
  });

  try {
    zerotask::Node node(config);
    node.register_function("word_count", word_count);
    node.register_function("reverse", reverse);
    {
      std::lock_guard lock(mutex);
      if (stop_requested) return 0;
      serving = &node;
    }
    std::fprintf(stderr, "custom_node: %s serving word_count and reverse for %s\n", node.name().c_str(),
                 config.broker_endpoint.c_str());
    node.run();
    std::lock_guard lock(mutex);
    serving = nullptr;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "custom_node: %s\n", error.what());
    return 1;
  }
  std::fprintf(stderr, "custom_node: stopped\n");
  return 0;
}

#include "messages.hpp"

#include <charconv>
#include <limits>
#include <utility>

namespace zerotask::node_impl {
namespace {

// Task ids are 16 hex digits on the wire; anything else the broker sends is escaped
// by the JSON serializer instead of being copied as it is.
bool needs_escaping(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') return true;
  }
  return false;
}

void append_string(std::string& out, std::string_view text) {
  if (needs_escaping(text)) {
    out += rpc::to_text(json(text));
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

void append_int(std::string& out, long long value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

}  // namespace

std::string encode_hello(std::int64_t request_id, std::string_view node, const std::vector<std::string>& functions,
                         unsigned slots) {
  return rpc::encode_request(request_id, "node.hello",
                             json{{"node", node}, {"functions", functions}, {"slots", slots}});
}

std::string encode_heartbeat(std::int64_t request_id) {
  return rpc::encode_request(request_id, "node.heartbeat", nullptr);
}

std::string encode_pull(unsigned slots) {
  return rpc::encode_notification("node.pull", json{{"slots", slots}});
}

std::string encode_bye() {
  return rpc::encode_notification("node.bye", nullptr);
}

std::string encode_progress(const ProgressReport& report) {
  return rpc::encode_notification("node.progress",
                                  json{{"id", report.id}, {"attempt", report.attempt}, {"progress", report.progress}});
}

std::string encode_done(std::span<const TaskResult> results) {
  std::string out;
  out.reserve(64 + results.size() * 56);
  out += R"({"jsonrpc":"2.0","method":"node.done","params":{"results":[)";
  bool first = true;
  for (const auto& entry : results) {
    if (!first) out += ',';
    first = false;
    out += R"({"id":)";
    append_string(out, entry.id);
    out += R"(,"attempt":)";
    append_int(out, entry.attempt);
    if (entry.outcome.error) {
      out += R"(,"error":)";
      out += rpc::to_text(entry.outcome.error->to_json());
    } else {
      out += R"(,"result":)";
      out += rpc::to_text(entry.outcome.result);
    }
    out += '}';
  }
  out += "]}}";
  return out;
}

json* run_tasks(json& params) {
  if (!params.is_object()) return nullptr;
  auto tasks = params.find("tasks");
  if (tasks == params.end() || !tasks->is_array()) return nullptr;
  return &*tasks;
}

std::optional<IncomingTask> read_task(json& entry) {
  if (!entry.is_object()) return std::nullopt;
  auto id = entry.find("id");
  auto function = entry.find("function");
  auto attempt = entry.find("attempt");
  if (id == entry.end() || !id->is_string()) return std::nullopt;
  if (function == entry.end() || !function->is_string()) return std::nullopt;
  if (attempt == entry.end() || !attempt->is_number_integer()) return std::nullopt;
  if (attempt->is_number_unsigned() ? attempt->get<std::uint64_t>() > std::numeric_limits<int>::max()
                                    : (attempt->get<std::int64_t>() < std::numeric_limits<int>::min() ||
                                       attempt->get<std::int64_t>() > std::numeric_limits<int>::max())) {
    return std::nullopt;
  }
  IncomingTask task;
  task.id = std::move(id->get_ref<std::string&>());
  task.function = std::move(function->get_ref<std::string&>());
  task.attempt = attempt->get<int>();
  if (auto params = entry.find("params"); params != entry.end()) task.params = std::move(*params);
  return task;
}

}  // namespace zerotask::node_impl

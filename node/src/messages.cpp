#include "messages.hpp"

#include <algorithm>
#include <charconv>
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

constexpr std::string_view kDoneHead = R"({"jsonrpc":"2.0","method":"node.done","params":{"results":[)";
constexpr std::string_view kDoneTail = "]}}";

std::string error_text(int code, std::string message, std::string_view type) {
  return rpc::to_text(rpc::Error{code, std::move(message), json{{"type", type}}}.to_json());
}

// Appends one node.done entry, `max_entry_bytes` at most where it can: a result over
// the limits is replaced by the error that says so.
void append_done_entry(std::string& out, const TaskResult& entry, const SendLimits& limits,
                       std::size_t max_entry_bytes) {
  constexpr std::string_view kResult = R"(,"result":)";
  constexpr std::string_view kError = R"(,"error":)";
  std::size_t start = out.size();
  out += R"({"id":)";
  append_string(out, entry.id);
  out += R"(,"attempt":)";
  append_int(out, entry.attempt);
  std::size_t head = out.size() - start;
  std::string_view member = kError;
  std::string value;
  if (entry.outcome.error) {
    value = rpc::to_text(entry.outcome.error->to_json());
  } else if (depth_exceeds(entry.outcome.result, limits.max_value_depth)) {
    // Checked on the value, before serializing it: the broker would refuse the whole
    // node.done as a parse error, losing every result in it.
    value =
        error_text(rpc::kTaskFailed, "result nested deeper than " + std::to_string(limits.max_value_depth) + " levels",
                   "zerotask::ResultTooDeep");
  } else {
    member = kResult;
    value = rpc::to_text(entry.outcome.result);
  }
  if (head + member.size() + value.size() + 1 > max_entry_bytes) {
    member = kError;
    value = error_text(rpc::kTaskFailed,
                       "result of " + std::to_string(value.size()) + " bytes exceeds the broker's limit",
                       "zerotask::ResultTooLarge");
  }
  out += member;
  out += value;
  out += '}';
}

// A string id and an int attempt: what node.run and node.cancel entries both carry.
bool has_lease_token(const json& entry) {
  if (!entry.is_object()) return false;
  auto id = entry.find("id");
  auto attempt = entry.find("attempt");
  return id != entry.end() && id->is_string() && attempt != entry.end() && rpc::fits_int(*attempt);
}

}  // namespace

std::string encode_hello(std::int64_t request_id, std::string_view node, std::span<const FunctionEntry> functions,
                         std::span<const std::string> queues, unsigned slots, std::span<const LeaseToken> running) {
  json entries = json::array();
  for (const auto& function : functions) {
    const auto& options = function.options;
    if (!options.max_retries && !options.timeout) {
      entries.push_back(function.name);
      continue;
    }
    json entry{{"name", function.name}};
    if (options.max_retries) entry["max_retries"] = *options.max_retries;
    if (options.timeout) entry["timeout_ms"] = options.timeout->count();
    entries.push_back(std::move(entry));
  }
  json names = json::array();
  for (const auto& queue : queues) names.push_back(queue);
  json params{{"node", node}, {"functions", std::move(entries)}, {"queues", std::move(names)}, {"slots", slots}};
  if (!running.empty()) {
    json& tokens = params["running"] = json::array();
    for (const auto& token : running) tokens.push_back(json{{"id", token.id}, {"attempt", token.attempt}});
  }
  return rpc::encode_request(request_id, "node.hello", params);
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

std::optional<std::string> encode_progress(const ProgressReport& report, const SendLimits& limits) {
  if (depth_exceeds(report.value, limits.max_value_depth)) return std::nullopt;
  std::string value = rpc::to_text(report.value);
  std::string out;
  out.reserve(96 + report.id.size() + value.size());
  out += R"({"jsonrpc":"2.0","method":"node.progress","params":{"id":)";
  append_string(out, report.id);
  out += R"(,"attempt":)";
  append_int(out, report.attempt);
  out += report.kind == ReportKind::Partial ? R"(,"partial":)" : R"(,"progress":)";
  out += value;
  out += "}}";
  if (out.size() > limits.max_message_bytes) return std::nullopt;
  return out;
}

void encode_done(std::span<const TaskResult> results, const SendLimits& limits, std::vector<KeptMessage>& out) {
  if (results.empty()) return;
  constexpr std::size_t kEnvelope = kDoneHead.size() + kDoneTail.size();
  const std::size_t max_entry = limits.max_message_bytes > kEnvelope ? limits.max_message_bytes - kEnvelope : 0;
  KeptMessage* open = nullptr;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (open == nullptr) {
      open = &out.emplace_back();
      open->text.reserve(std::min(limits.max_message_bytes, kEnvelope + (results.size() - i) * 56));
      open->text += kDoneHead;
    }
    std::size_t before = open->text.size();
    if (open->results > 0) open->text += ',';
    std::size_t entry_start = open->text.size();
    append_done_entry(open->text, results[i], limits, max_entry);
    if (open->results > 0 && open->text.size() + kDoneTail.size() > limits.max_message_bytes) {
      // No room left in this message: it closes without the entry, which opens the
      // next one. Copied only here, at the split.
      std::string entry = open->text.substr(entry_start);
      open->text.resize(before);
      open->text += kDoneTail;
      open = &out.emplace_back();
      open->text.reserve(std::min(limits.max_message_bytes, kEnvelope + entry.size() + (results.size() - i) * 56));
      open->text += kDoneHead;
      open->text += entry;
    }
    ++open->results;
  }
  open->text += kDoneTail;
}

bool depth_exceeds(const json& value, std::size_t max_depth) {
  if (!value.is_structured()) return false;
  if (max_depth == 0) return true;
  // One [next, end) range per open container, innermost last.
  std::vector<std::pair<json::const_iterator, json::const_iterator>> open;
  open.emplace_back(value.cbegin(), value.cend());
  while (!open.empty()) {
    auto& [next, end] = open.back();
    if (next == end) {
      open.pop_back();
      continue;
    }
    const json& child = *next;
    ++next;
    if (!child.is_structured()) continue;
    if (open.size() + 1 > max_depth) return true;
    open.emplace_back(child.cbegin(), child.cend());
  }
  return false;
}

json* task_list(json& params) {
  if (!params.is_object()) return nullptr;
  auto tasks = params.find("tasks");
  if (tasks == params.end() || !tasks->is_array()) return nullptr;
  return &*tasks;
}

std::optional<IncomingTask> read_task(json& entry) {
  if (!has_lease_token(entry)) return std::nullopt;
  auto function = entry.find("function");
  if (function == entry.end() || !function->is_string()) return std::nullopt;
  std::chrono::milliseconds timeout{0};
  if (auto timeout_ms = entry.find("timeout_ms"); timeout_ms != entry.end()) {
    // An unsigned number above INT64_MAX reads as negative: refused with the rest.
    if (!timeout_ms->is_number_integer()) return std::nullopt;
    timeout = std::chrono::milliseconds(timeout_ms->get<std::int64_t>());
    if (timeout.count() < 1 || timeout > kMaxTimeout) return std::nullopt;
  }
  IncomingTask task;
  task.id = std::move(entry["id"].get_ref<std::string&>());
  task.function = std::move(function->get_ref<std::string&>());
  task.attempt = entry["attempt"].get<int>();
  if (auto params = entry.find("params"); params != entry.end()) task.params = std::move(*params);
  task.timeout = timeout;
  return task;
}

std::optional<LeaseToken> read_lease_token(const json& entry) {
  if (!has_lease_token(entry)) return std::nullopt;
  return LeaseToken{entry.at("id").get<std::string>(), entry.at("attempt").get<int>()};
}

}  // namespace zerotask::node_impl

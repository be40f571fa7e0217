#include "command_stderr.hpp"

#include <utility>

#include "zerotask/json_rpc.hpp"
#include "zerotask/limits.hpp"

namespace zerotask::node_impl {
namespace {

constexpr std::string_view kProgressPrefix = "zerotask-progress ";
constexpr std::string_view kPartialPrefix = "zerotask-partial ";

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The JSON of a report line, or a discarded value. The depth check keeps parsing
// and copying it cheap; the node applies the broker's own limits when it sends it.
json report_value(std::string_view text) {
  if (rpc::nesting_exceeds(text, kMaxConfigurableDepth)) return json(json::value_t::discarded);
  return json::parse(text, nullptr, false);
}

}  // namespace

void CommandStderr::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    auto newline = bytes.find('\n');
    std::string_view piece = bytes.substr(0, newline);
    if (pending_is_text_) {
      keep(piece);
    } else {
      pending_.append(piece);
      if (pending_.size() > kMaxReportBytes) {
        keep(pending_);
        pending_.clear();
        pending_is_text_ = true;
      }
    }
    if (newline == std::string_view::npos) return;
    if (pending_is_text_) {
      keep("\n");
      pending_is_text_ = false;
    } else {
      line(pending_);
      pending_.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
}

void CommandStderr::finish() {
  if (!pending_.empty()) line(pending_);
  pending_.clear();
  pending_is_text_ = false;
}

void CommandStderr::line(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.starts_with(kProgressPrefix)) {
    json value = report_value(text.substr(kProgressPrefix.size()));
    if (!value.is_discarded()) return context_.report_progress(std::move(value));
  } else if (text.starts_with(kPartialPrefix)) {
    json value = report_value(text.substr(kPartialPrefix.size()));
    if (!value.is_discarded()) return context_.report_partial(std::move(value));
  }
  keep(text);
  keep("\n");
}

void CommandStderr::keep(std::string_view text) {
  text_.append(text);
  // Trimmed only once it is twice the tail: amortized constant work per byte.
  if (text_.size() > 2 * kTailBytes) text_.erase(0, text_.size() - kTailBytes);
}

std::string CommandStderr::tail() const {
  std::size_t begin = text_.size() > kTailBytes ? text_.size() - kTailBytes : 0;
  while (begin < text_.size() && is_continuation_byte(text_[begin])) ++begin;
  std::size_t end = text_.size();
  while (end > begin && (text_[end - 1] == '\n' || text_[end - 1] == '\r')) --end;
  return text_.substr(begin, end - begin);
}

}  // namespace zerotask::node_impl

// CommandStderr: what a command writes on stderr, read as lines (docs/COMMANDS.md).
// A line `zerotask-progress <json>` goes to the task's context as progress, a line
// `zerotask-partial <json>` as a partial result; every other line (and one of those
// whose JSON does not parse) is text, of which the last kTailBytes are kept for the
// error message. A line longer than kMaxReportBytes is text too, so memory stays
// bounded however much a command writes.
//
// Used by the one worker thread that runs the command, the thread the context
// belongs to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "zerotask/node.hpp"

namespace zerotask::node_impl {

class CommandStderr {
 public:
  static constexpr std::size_t kTailBytes = 4096;
  static constexpr std::size_t kMaxReportBytes = 1024 * 1024;

  explicit CommandStderr(TaskContext& context) : context_(context) {}

  // Takes the next bytes; reports every line they complete.
  void feed(std::string_view bytes);
  // Stderr has ended: a last line without a newline counts as a line.
  void finish();
  // The last kTailBytes of text (less, to begin on a character), without the
  // newline at its end; empty when there was none.
  std::string tail() const;

 private:
  void line(std::string_view text);
  void keep(std::string_view text);

  TaskContext& context_;
  std::string pending_;           // the line begun and not ended
  bool pending_is_text_ = false;  // it passed kMaxReportBytes: kept as text as it comes
  std::string text_;              // the latest text, at most twice kTailBytes
};

}  // namespace zerotask::node_impl

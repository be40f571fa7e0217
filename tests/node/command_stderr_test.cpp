// CommandStderr: a command's stderr as report lines for the context and text for
// the error message.
#include <doctest/doctest.h>

#include <string>

#include "command_stderr.hpp"
#include "test_context.hpp"

namespace zerotask::testing {
namespace {

using node_impl::CommandStderr;

}  // namespace

TEST_CASE("progress and partial lines reach the context, split anywhere across reads" * doctest::timeout(10)) {
  TestContext context;
  CommandStderr lines(context);
  std::string text = "zerotask-progress {\"done\":3,\"total\":10,\"message\":\"resizing\"}\nzerotask-partial [1,2]\r\n";
  for (char c : text) lines.feed(std::string(1, c));
  REQUIRE(context.progress().size() == 1);
  CHECK(context.progress()[0] == json{{"done", 3}, {"total", 10}, {"message", "resizing"}});
  REQUIRE(context.partials().size() == 1);
  CHECK(context.partials()[0] == json{1, 2});
  CHECK(lines.tail().empty());
}

TEST_CASE("other lines, and report lines whose JSON does not parse, are kept as text" * doctest::timeout(10)) {
  TestContext context;
  CommandStderr lines(context);
  lines.feed("warning: slow disk\nzerotask-progress {oops\nzerotask-progress\nZEROTASK-PROGRESS 1\n");
  lines.feed("last words without a newline");
  lines.finish();
  CHECK(context.progress().empty());
  CHECK(lines.tail() ==
        "warning: slow disk\nzerotask-progress {oops\nzerotask-progress\nZEROTASK-PROGRESS 1\nlast words without a "
        "newline");
}

TEST_CASE("a report line is taken at the end of stderr even without its newline" * doctest::timeout(10)) {
  TestContext context;
  CommandStderr lines(context);
  lines.feed("zerotask-progress 42");
  CHECK(context.progress().empty());
  lines.finish();
  REQUIRE(context.progress().size() == 1);
  CHECK(context.progress()[0] == 42);
}

TEST_CASE("only the last 4 KiB of text are kept, from the start of a character" * doctest::timeout(10)) {
  TestContext context;
  CommandStderr lines(context);
  for (int i = 0; i < 10000; ++i) lines.feed("line " + std::to_string(i) + "\n");
  std::string tail = lines.tail();
  CHECK(tail.size() <= CommandStderr::kTailBytes);
  CHECK(tail.size() > CommandStderr::kTailBytes - 16);
  CHECK(tail.ends_with("line 9998\nline 9999"));

  CommandStderr accents(context);
  // "é" is two bytes: 2048 of them and an "x" make 4097 bytes, whose last 4096 begin
  // inside the first "é": the tail starts one byte later.
  std::string many;
  for (int i = 0; i < 2048; ++i) many += "\xc3\xa9";
  accents.feed(many + "x");
  accents.finish();
  std::string cut = accents.tail();
  CHECK(cut.size() == CommandStderr::kTailBytes - 1);
  CHECK(cut.starts_with("\xc3\xa9"));
  CHECK(cut.ends_with("\xc3\xa9x"));
}

TEST_CASE("a line longer than the report limit is text and never grows memory past it" * doctest::timeout(30)) {
  TestContext context;
  CommandStderr lines(context);
  lines.feed("zerotask-progress ");
  std::string block(64 * 1024, '7');
  for (std::size_t sent = 0; sent < CommandStderr::kMaxReportBytes + block.size(); sent += block.size())
    lines.feed(block);
  lines.feed("\nzerotask-progress 5\n");
  // The long line went to the text (its end is the tail's start); the next line is a report again.
  REQUIRE(context.progress().size() == 1);
  CHECK(context.progress()[0] == 5);
  CHECK(lines.tail() == std::string(CommandStderr::kTailBytes - 1, '7'));
}

}  // namespace zerotask::testing

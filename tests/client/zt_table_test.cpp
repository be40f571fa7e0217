// How zt lays out tables: aligned everywhere, cut to the width and coloured only
// on a terminal.
#include <doctest/doctest.h>

#include <string>

#include "output.hpp"
#include "table.hpp"

using zerotask::json;
using zerotask::zt::Cell;
using zerotask::zt::Colour;
using zerotask::zt::Table;
using zerotask::zt::Terminal;

namespace {

Terminal terminal(std::size_t width, bool colour = false) {
  return Terminal{.is_terminal = true, .colour = colour, .width = width, .height = 24};
}

Table nodes_table() {
  Table table({"NODE", "SLOTS", "FUNCTIONS"});
  table.add_row({"n1", "4", "add,echo,resize,thumbnail"});
  table.add_row({"node-two", "16", "add"});
  return table;
}

}  // namespace

TEST_CASE("a table aligns its columns two spaces apart with nothing after the last" * doctest::timeout(30)) {
  CHECK(nodes_table().render() ==
        "NODE      SLOTS  FUNCTIONS\n"
        "n1        4      add,echo,resize,thumbnail\n"
        "node-two  16     add\n");
  Table pairs;
  pairs.add_row({"schedule", "tick"});
  pairs.add_row({"when", "every 200 ms"});
  CHECK(pairs.render() == "schedule  tick\nwhen      every 200 ms\n");
  CHECK(Table({"A"}).empty());
  CHECK_FALSE(pairs.empty());
}

TEST_CASE("a table that is not on a terminal is neither cut nor coloured" * doctest::timeout(30)) {
  Table table({"ID", "STATE"});
  table.add_row({"0000d1f5c2a40001", Cell("FAILED: " + std::string(300, 'x'), Colour::kRed)});
  std::string text = table.render(Terminal{});
  CHECK(text == "ID                STATE\n0000d1f5c2a40001  FAILED: " + std::string(300, 'x') + "\n");
  CHECK(text.find('\033') == std::string::npos);
  CHECK(text.find("…") == std::string::npos);
}

TEST_CASE("a table on a narrow terminal cuts its widest column with an ellipsis" * doctest::timeout(30)) {
  // 8 + 2 + 5 + 2 + 25 = 42 columns wide; 30 leaves 13 for FUNCTIONS.
  CHECK(nodes_table().render(terminal(30)) ==
        "NODE      SLOTS  FUNCTIONS\n"
        "n1        4      add,echo,res…\n"
        "node-two  16     add\n");
  // Wide enough: as it is.
  CHECK(nodes_table().render(terminal(42)) == nodes_table().render());
  // Narrower than all the columns: they shrink in turn, down to one character each.
  CHECK(nodes_table().render(terminal(9)) ==
        "…  S…  F…\n"
        "…  4   a…\n"
        "…  16  a…\n");
}

TEST_CASE("a table on a colour terminal paints the header bold and cells in their colour" * doctest::timeout(30)) {
  Table table({"ID", "STATE"});
  table.add_row({"1", Cell("FAILED", Colour::kRed)});
  table.add_row({"2", "QUEUED"});
  CHECK(table.render(terminal(80, true)) ==
        "\033[1mID\033[0m  \033[1mSTATE\033[0m\n"
        "1   \033[31mFAILED\033[0m\n"
        "2   QUEUED\n");
  CHECK(table.render(terminal(80, false)) == "ID  STATE\n1   FAILED\n2   QUEUED\n");
}

TEST_CASE("a cell with control characters stays on one line" * doctest::timeout(30)) {
  Table table({"ID", "STATE"});
  table.add_row({"1", "FAILED: line one\nline two\tend"});
  CHECK(table.render() == "ID  STATE\n1   FAILED: line one line two end\n");
}

TEST_CASE("widths count UTF-8 characters, and cuts keep them whole" * doctest::timeout(30)) {
  CHECK(zerotask::zt::display_width("naïve") == 5);
  CHECK(zerotask::zt::truncate("naïve café", 4) == "naï…");
  CHECK(zerotask::zt::truncate("naïve", 5) == "naïve");
  CHECK(zerotask::zt::truncate("abc", 0) == "");
  Table table({"NAME", "X"});
  table.add_row({"café", "1"});
  CHECK(table.render() == "NAME  X\ncafé  1\n");
  CHECK(zerotask::zt::fit_line("0123456789", terminal(5)) == "0123…");
  CHECK(zerotask::zt::fit_line("0123456789", Terminal{}) == "0123456789");
}

TEST_CASE("the terminal's width comes from its window, else COLUMNS, else 80" * doctest::timeout(30)) {
  using zerotask::zt::terminal_for;
  Terminal window = terminal_for(true, 120, 40, "60", nullptr);
  CHECK(window.is_terminal);
  CHECK(window.width == 120);
  CHECK(window.height == 40);
  CHECK(terminal_for(true, std::nullopt, std::nullopt, "60", nullptr).width == 60);
  CHECK(terminal_for(true, std::nullopt, std::nullopt, "wide", nullptr).width == 80);
  CHECK(terminal_for(true, std::nullopt, std::nullopt, nullptr, nullptr).width == 80);
  // Not a terminal: no limit and no colour, whatever the variables say.
  Terminal pipe = terminal_for(false, std::nullopt, std::nullopt, "60", nullptr);
  CHECK_FALSE(pipe.is_terminal);
  CHECK_FALSE(pipe.colour);
  CHECK(pipe.width == 0);
}

TEST_CASE("colours are off when NO_COLOR is set to anything but the empty string" * doctest::timeout(30)) {
  using zerotask::zt::terminal_for;
  CHECK(terminal_for(true, 80, 24, nullptr, nullptr).colour);
  CHECK(terminal_for(true, 80, 24, nullptr, "").colour);
  CHECK_FALSE(terminal_for(true, 80, 24, nullptr, "1").colour);
  CHECK_FALSE(terminal_for(true, 80, 24, nullptr, "0").colour);
  CHECK(zerotask::zt::paint("x", Colour::kGreen, terminal(80, false)) == "x");
  CHECK(zerotask::zt::paint("x", Colour::kGreen, terminal(80, true)) == "\033[32mx\033[0m");
}

TEST_CASE("zt list on a terminal colours each state and fits the width" * doctest::timeout(30)) {
  json answer = {{"tasks",
                  {{{"id", "0000d1f5c2a40001"}, {"function", "add"}, {"state", "SUCCEEDED"}},
                   {{"id", "0000d1f5c2a40002"},
                    {"function", "fail"},
                    {"state", "FAILED"},
                    {"error", {{"message", "a very long message that cannot fit"}}}}}},
                 {"total", 2}};
  CHECK(zerotask::zt::format_list(answer, terminal(40, true)) ==
        "\033[1mID\033[0m                \033[1mFUNCTION\033[0m  \033[1mSTATE\033[0m\n"
        "0000d1f5c2a40001  add       \033[32mSUCCEEDED\033[0m\n"
        "0000d1f5c2a40002  fail      \033[31mFAILED: a v…\033[0m\n"
        "2 of 2 tasks\n");
  CHECK(zerotask::zt::format_list(answer) ==
        "ID                FUNCTION  STATE\n"
        "0000d1f5c2a40001  add       SUCCEEDED\n"
        "0000d1f5c2a40002  fail      FAILED: a very long message that cannot fit\n"
        "2 of 2 tasks\n");
  CHECK(zerotask::zt::format_status({{"state", "RUNNING"}, {"node", "n1"}}, terminal(80, true)) ==
        "\033[36mRUNNING on n1\033[0m\n");
}

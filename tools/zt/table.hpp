// How zt lays text out for where it goes: aligned tables that fit a terminal's
// width, and colours only on a terminal that wants them. Pure functions and value
// types (detect_terminal reads the process's environment and one descriptor);
// safe on any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zerotask::zt {

// Where zt's output goes, as far as its layout cares. The default is what a pipe
// or a file gets: no colour, no width limit, no height.
struct Terminal {
  bool is_terminal = false;
  bool colour = false;     // ANSI colours allowed
  std::size_t width = 0;   // columns a line may take; 0: no limit
  std::size_t height = 0;  // rows of the screen; 0: unknown
};

// The Terminal for a descriptor with these facts: a terminal when `is_tty`; its
// width from the window size (TIOCGWINSZ) when it has one, otherwise from
// `columns` (the COLUMNS variable) when that is a number, otherwise 80; colours
// unless `no_color` (the NO_COLOR variable, https://no-color.org) is set and not
// empty. Not a terminal: the default, whatever the variables say.
Terminal terminal_for(bool is_tty, std::optional<std::size_t> window_columns, std::optional<std::size_t> window_rows,
                      const char* columns, const char* no_color);

// terminal_for() with the facts of descriptor `fd` (isatty, TIOCGWINSZ) and of
// the environment.
Terminal detect_terminal(int fd);

enum class Colour { kNone, kBold, kDim, kRed, kGreen, kYellow, kCyan };

// `text` wrapped in the ANSI escapes of `colour` when `terminal` allows colours;
// `text` itself otherwise.
std::string paint(const std::string& text, Colour colour, const Terminal& terminal);

// How many columns `text` takes: its UTF-8 code points (wide characters count as
// one).
std::size_t display_width(std::string_view text);

// `text` cut to `width` columns: its start and "…" when it is longer. Cuts at a
// code point boundary.
std::string truncate(std::string_view text, std::size_t width);

// `line` cut to the terminal's width with an ellipsis when it is a terminal and
// the line is wider; `line` itself otherwise.
std::string fit_line(const std::string& line, const Terminal& terminal);

struct Cell {
  std::string text;
  Colour colour = Colour::kNone;

  Cell(std::string text_in, Colour colour_in = Colour::kNone) : text(std::move(text_in)), colour(colour_in) {}
  Cell(const char* text_in, Colour colour_in = Colour::kNone) : text(text_in), colour(colour_in) {}
};

// Rows of cells rendered as left-aligned columns separated by two spaces, each
// line ending in "\n" (no padding after the last column). Control characters in a
// cell (a newline in an error message) show as spaces, so that a row stays one
// line. On a terminal narrower than the table, the last column gives up width
// first (down to its header's), then the widest columns in turn (down to one),
// and cells cut to their column end in "…"; colours (the header in bold) only
// when the terminal allows them.
class Table {
 public:
  // A table whose first row is `header` (bold on a colour terminal); no header
  // when it is empty.
  explicit Table(std::vector<std::string> header = {});

  void add_row(std::vector<Cell> row);
  bool empty() const { return rows_.size() == (has_header_ ? 1 : 0); }

  std::string render(const Terminal& terminal = {}) const;

 private:
  // The width of each column: the widest cell's, then narrowed to fit `limit`
  // columns in all (0: no limit).
  std::vector<std::size_t> column_widths(std::size_t limit) const;

  std::vector<std::vector<Cell>> rows_;
  bool has_header_ = false;
};

}  // namespace zerotask::zt

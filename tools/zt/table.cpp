#include "table.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace zerotask::zt {
namespace {

constexpr std::size_t kDefaultWidth = 80;
constexpr std::string_view kEllipsis = "…";
constexpr std::size_t kColumnGap = 2;

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

bool is_control(char c) {
  auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7F;
}

// A cell's text on one line: control characters as spaces.
std::string one_line(const std::string& text) {
  std::string out = text;
  std::replace_if(out.begin(), out.end(), is_control, ' ');
  return out;
}

std::optional<std::size_t> positive_number(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value <= 0) return std::nullopt;
  return static_cast<std::size_t>(value);
}

const char* escape_of(Colour colour) {
  switch (colour) {
    case Colour::kNone: return "";
    case Colour::kBold: return "\033[1m";
    case Colour::kDim: return "\033[2m";
    case Colour::kRed: return "\033[31m";
    case Colour::kGreen: return "\033[32m";
    case Colour::kYellow: return "\033[33m";
    case Colour::kCyan: return "\033[36m";
  }
  return "";
}

}  // namespace

Terminal terminal_for(bool is_tty, std::optional<std::size_t> window_columns, std::optional<std::size_t> window_rows,
                      const char* columns, const char* no_color) {
  Terminal terminal;
  if (!is_tty) return terminal;
  terminal.is_terminal = true;
  terminal.colour = no_color == nullptr || *no_color == '\0';
  terminal.width = window_columns.value_or(positive_number(columns).value_or(kDefaultWidth));
  terminal.height = window_rows.value_or(0);
  return terminal;
}

Terminal detect_terminal(int fd) {
  bool is_tty = isatty(fd) == 1;
  std::optional<std::size_t> columns;
  std::optional<std::size_t> rows;
  winsize size{};
  if (is_tty && ioctl(fd, TIOCGWINSZ, &size) == 0) {
    if (size.ws_col > 0) columns = size.ws_col;
    if (size.ws_row > 0) rows = size.ws_row;
  }
  return terminal_for(is_tty, columns, rows, std::getenv("COLUMNS"), std::getenv("NO_COLOR"));
}

std::string paint(const std::string& text, Colour colour, const Terminal& terminal) {
  if (!terminal.colour || colour == Colour::kNone || text.empty()) return text;
  return escape_of(colour) + text + "\033[0m";
}

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation_byte(c); }));
}

std::string truncate(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width == 0) return "";
  // Keep width - 1 code points, then the ellipsis.
  std::size_t kept = 0;
  std::size_t end = 0;
  for (; end < text.size(); ++end) {
    if (!is_continuation_byte(text[end]) && kept++ == width - 1) break;
  }
  return std::string(text.substr(0, end)) + std::string(kEllipsis);
}

std::string fit_line(const std::string& line, const Terminal& terminal) {
  if (!terminal.is_terminal || terminal.width == 0) return line;
  return truncate(line, terminal.width);
}

Table::Table(std::vector<std::string> header) : has_header_(!header.empty()) {
  if (!has_header_) return;
  std::vector<Cell> cells;
  for (std::string& name : header) cells.emplace_back(std::move(name), Colour::kBold);
  rows_.push_back(std::move(cells));
}

void Table::add_row(std::vector<Cell> row) {
  for (Cell& cell : row) cell.text = one_line(cell.text);
  rows_.push_back(std::move(row));
}

std::vector<std::size_t> Table::column_widths(std::size_t limit) const {
  std::vector<std::size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i].text));
  }
  if (limit == 0 || widths.empty()) return widths;
  std::size_t total = kColumnGap * (widths.size() - 1);
  for (std::size_t width : widths) total += width;
  // The last column, where zt puts free text (a state with its error, a list of
  // functions), gives up width first, down to its header's; then the widest column
  // a column at a time, so that narrow ones (ids, counts) stay whole longest.
  std::size_t& last = widths.back();
  const std::size_t last_floor = std::max<std::size_t>(1, has_header_ ? display_width(rows_.front().back().text) : 1);
  if (total > limit && last > last_floor) {
    std::size_t given = std::min(total - limit, last - last_floor);
    last -= given;
    total -= given;
  }
  while (total > limit) {
    auto widest = std::max_element(widths.begin(), widths.end());
    if (*widest <= 1) break;
    --*widest;
    --total;
  }
  return widths;
}

std::string Table::render(const Terminal& terminal) const {
  const std::vector<std::size_t> widths = column_widths(terminal.is_terminal ? terminal.width : 0);
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::string text = terminal.is_terminal ? truncate(row[i].text, widths[i]) : row[i].text;
      std::size_t shown = display_width(text);
      line += paint(text, row[i].colour, terminal);
      if (i + 1 < row.size()) line += std::string(widths[i] - std::min(shown, widths[i]) + kColumnGap, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace zerotask::zt

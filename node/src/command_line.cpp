// split_command_line: the shell-like word splitting of `node --command`. No shell
// runs the command, so that the node signals and reaps the program itself and a
// command line means the same on every system; docs/COMMANDS.md says why.
#include <stdexcept>
#include <string>

#include "zerotask/command_function.hpp"

namespace zerotask {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

[[noreturn]] void bad_line(std::string_view line, const std::string& why) {
  throw std::invalid_argument("cannot split the command line '" + std::string(line) + "': " + why);
}

}  // namespace

std::vector<std::string> split_command_line(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // a word has begun, possibly empty ('' or "")
  std::size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (is_blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 == line.size()) bad_line(line, "it ends with a backslash");
      word += line[i + 1];
      i += 2;
    } else if (c == '\'') {
      auto close = line.find('\'', i + 1);
      if (close == std::string_view::npos) bad_line(line, "a ' is not closed");
      word.append(line.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '"') {
      ++i;
      while (true) {
        if (i == line.size()) bad_line(line, "a \" is not closed");
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) ++i;
        word += line[i++];
      }
      ++i;
    } else {
      word += c;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) bad_line(line, "it has no word");
  return words;
}

}  // namespace zerotask

// GCC 12 warns of a maybe-uninitialized std::function inside <regex> when it
// optimizes with the sanitizers on (a false positive, GCC bug 105562). The whole
// file is exempt because the warning points into std_function.h, whichever header
// included it first; std::regex is used in no other file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "named_regex.hpp"

#include <cctype>
#include <regex>
#include <stdexcept>

namespace zerotask::broker {

struct NamedRegex::Compiled {
  std::regex regex;
};

NamedRegex::~NamedRegex() = default;
NamedRegex::NamedRegex(NamedRegex&&) noexcept = default;
NamedRegex& NamedRegex::operator=(NamedRegex&&) noexcept = default;
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

}  // namespace

NamedRegex::NamedRegex(std::string_view pattern) {
  std::string plain;
  plain.reserve(pattern.size());
  std::size_t groups = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      plain += c;
      plain += pattern[++i];
      continue;
    }
    if (in_class) {
      in_class = c != ']';
      plain += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      // A ']' right after '[' or '[^' is a literal, not the end of the class.
      plain += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') plain += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') plain += pattern[++i];
      continue;
    }
    if (c != '(') {
      plain += c;
      continue;
    }
    bool special = i + 1 < pattern.size() && pattern[i + 1] == '?';
    bool named = special && i + 2 < pattern.size() && pattern[i + 2] == '<' && i + 3 < pattern.size() &&
                 pattern[i + 3] != '=' && pattern[i + 3] != '!';
    if (special && !named) {
      plain += c;  // (?: (?= (?! capture nothing
      continue;
    }
    ++groups;
    plain += '(';
    if (!named) continue;
    std::size_t end = pattern.find('>', i + 3);
    if (end == std::string_view::npos) throw std::invalid_argument("a group name is not closed with '>'");
    std::string name(pattern.substr(i + 3, end - i - 3));
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0) {
      throw std::invalid_argument("group name '" + name + "' must start with a letter or '_'");
    }
    for (char n : name) {
      if (!is_name_char(n))
        throw std::invalid_argument("group name '" + name + "' may hold letters, digits and '_' only");
    }
    if (!group_numbers_.emplace(name, groups).second)
      throw std::invalid_argument("group name '" + name + "' is used twice");
    i = end;
  }
  try {
    compiled_ = std::make_unique<Compiled>(Compiled{std::regex(plain, std::regex::ECMAScript)});
  } catch (const std::regex_error& error) {
    throw std::invalid_argument(std::string("the pattern does not compile: ") + error.what());
  }
}

bool NamedRegex::search(const std::string& subject, std::map<std::string, std::string>& groups) const {
  std::smatch match;
  if (!std::regex_search(subject, match, compiled_->regex)) return false;
  for (const auto& [name, number] : group_numbers_) {
    if (number < match.size() && match[number].matched) groups[name] = match[number].str();
  }
  return true;
}

}  // namespace zerotask::broker

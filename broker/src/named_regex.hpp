// NamedRegex: an ECMAScript regular expression with named groups, `(?<name>...)`,
// which std::regex does not know: the names are taken out (leaving plain capturing
// groups) and kept with their group numbers. Used by the rules file.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace zerotask::broker {

class NamedRegex {
 public:
  // Throws std::invalid_argument with the reason for a pattern that does not
  // compile or names two groups alike.
  explicit NamedRegex(std::string_view pattern);
  ~NamedRegex();
  NamedRegex(NamedRegex&&) noexcept;
  NamedRegex& operator=(NamedRegex&&) noexcept;

  // The named groups' text when `subject` matches somewhere, else false.
  bool search(const std::string& subject, std::map<std::string, std::string>& groups) const;

 private:
  // std::regex stays in named_regex.cpp (see there).
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
  std::map<std::string, std::size_t> group_numbers_;
};

}  // namespace zerotask::broker

// version() (common/include/zerotask/version.hpp): the product version every
// executable prints.
#include <doctest/doctest.h>

#include <cctype>
#include <string>
#include <string_view>

#include "zerotask/version.hpp"

TEST_CASE("the version is the project's MAJOR.MINOR.PATCH" * doctest::timeout(10)) {
  std::string_view version = zerotask::version();
  CAPTURE(version);
  int parts = 0;
  std::size_t start = 0;
  while (start <= version.size()) {
    std::size_t dot = version.find('.', start);
    std::string_view part = version.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    CHECK_FALSE(part.empty());
    for (char c : part) CHECK(std::isdigit(static_cast<unsigned char>(c)));
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  CHECK(parts == 3);
}

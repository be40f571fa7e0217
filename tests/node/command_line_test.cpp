// split_command_line: how `node --command` turns its COMMAND into argv.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "zerotask/command_function.hpp"

namespace zerotask::testing {
namespace {

using Words = std::vector<std::string>;

}  // namespace

TEST_CASE("a command line splits at blanks, however many" * doctest::timeout(10)) {
  CHECK(split_command_line("python3 /opt/tasks/resize.py --fast") ==
        Words{"python3", "/opt/tasks/resize.py", "--fast"});
  CHECK(split_command_line("  a \t b\n c  ") == Words{"a", "b", "c"});
}

TEST_CASE("single quotes keep everything literally, double quotes all but backslash escapes" * doctest::timeout(10)) {
  CHECK(split_command_line("sh -c 'echo \"$HOME\" | cat'") == Words{"sh", "-c", "echo \"$HOME\" | cat"});
  CHECK(split_command_line(R"(say "a \"quoted\" word" "back\\slash" "keep\n")") ==
        Words{"say", "a \"quoted\" word", "back\\slash", "keep\\n"});
  CHECK(split_command_line("'it''s' x'y'z") == Words{"its", "xyz"});
  CHECK(split_command_line("a '' \"\" b") == Words{"a", "", "", "b"});
}

TEST_CASE("outside quotes a backslash keeps the next character, blank or quote" * doctest::timeout(10)) {
  CHECK(split_command_line(R"(my\ program \'x \\)") == Words{"my program", "'x", "\\"});
}

TEST_CASE("shell syntax is passed on as ordinary characters" * doctest::timeout(10)) {
  CHECK(split_command_line("echo $HOME ~ *.txt | wc ; x > y") ==
        Words{"echo", "$HOME", "~", "*.txt", "|", "wc", ";", "x", ">", "y"});
}

TEST_CASE("an unterminated quote, a trailing backslash or no word is refused with the reason" * doctest::timeout(10)) {
  CHECK_THROWS_WITH_AS(split_command_line("sh -c 'echo"),
                       "cannot split the command line 'sh -c 'echo': a ' is not closed", std::invalid_argument);
  CHECK_THROWS_WITH_AS(split_command_line("say \"hi"), "cannot split the command line 'say \"hi': a \" is not closed",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(split_command_line("x \\"), "cannot split the command line 'x \\': it ends with a backslash",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(split_command_line("  "), "cannot split the command line '  ': it has no word",
                       std::invalid_argument);
}

}  // namespace zerotask::testing

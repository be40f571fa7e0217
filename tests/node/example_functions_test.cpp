// The example functions, called directly.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "example_functions.hpp"
#include "test_context.hpp"

namespace zerotask::testing {
namespace {

json call(std::string_view name, const json& params, TestContext& context) {
  for (const auto& example : examples::example_functions()) {
    if (example.name == name) return example.function(params, context);
  }
  throw std::logic_error("no example function " + std::string(name));
}

json call(std::string_view name, const json& params) {
  TestContext context;
  return call(name, params, context);
}

}  // namespace

TEST_CASE("the example functions are add, count, echo, fail, multiply, noop, sleep, subtract and sum" *
          doctest::timeout(30)) {
  std::string names;
  for (const auto& example : examples::example_functions()) {
    names += std::string(example.name) + " ";
    CHECK_FALSE(example.usage.empty());
  }
  CHECK(names == "add count echo fail multiply noop sleep subtract sum ");
}

TEST_CASE("fail is registered with no retries and the other example functions with no options" * doctest::timeout(30)) {
  for (const auto& example : examples::example_functions()) {
    CAPTURE(example.name);
    CHECK_FALSE(example.options.timeout);
    if (example.name == "fail") {
      CHECK(example.options.max_retries == 0);
    } else {
      CHECK_FALSE(example.options.max_retries);
    }
  }
}

TEST_CASE("add keeps integers integers and gives a double when either number is one" * doctest::timeout(30)) {
  json sum = call("add", {5, 6});
  CHECK(sum.is_number_integer());
  CHECK(sum == 11);
  CHECK(call("add", {-5, 3}) == -2);
  json mixed = call("add", {1, 0.5});
  CHECK(mixed.is_number_float());
  CHECK(mixed.get<double>() == doctest::Approx(1.5));
}

TEST_CASE("subtract and multiply work like add" * doctest::timeout(30)) {
  CHECK(call("subtract", {10, 4}) == 6);
  CHECK(call("subtract", {1.5, 2}).get<double>() == doctest::Approx(-0.5));
  CHECK(call("multiply", {6, 7}) == 42);
  CHECK(call("multiply", {2.5, 2}).get<double>() == doctest::Approx(5.0));
}

TEST_CASE("arithmetic on integers that would overflow fails instead of wrapping" * doctest::timeout(30)) {
  json big = std::numeric_limits<std::int64_t>::max();
  CHECK_THROWS_WITH_AS(call("add", {big, 1}), "add: the result does not fit in a 64-bit integer", std::overflow_error);
  CHECK_THROWS_AS(call("multiply", {big, 2}), std::overflow_error);
  CHECK_THROWS_AS(call("add", {std::numeric_limits<std::uint64_t>::max(), 0}), std::overflow_error);
}

TEST_CASE("arithmetic with the wrong params says what it expects" * doctest::timeout(30)) {
  CHECK_THROWS_WITH_AS(call("add", {1}), "add expects params [a, b]: two numbers", std::invalid_argument);
  CHECK_THROWS_AS(call("add", {1, 2, 3}), std::invalid_argument);
  CHECK_THROWS_AS(call("subtract", {1, "2"}), std::invalid_argument);
  CHECK_THROWS_AS(call("multiply", json{{"a", 1}, {"b", 2}}), std::invalid_argument);
  CHECK_THROWS_AS(call("add", nullptr), std::invalid_argument);
}

TEST_CASE("echo returns its params, or the element of a one-element array" * doctest::timeout(30)) {
  CHECK(call("echo", {"hello"}) == "hello");
  CHECK(call("echo", {1, 2}) == json{1, 2});
  CHECK(call("echo", json{{"k", "v"}}) == json{{"k", "v"}});
  CHECK(call("echo", json::array({json::array({1})})) == json::array({1}));
  CHECK(call("echo", nullptr).is_null());
}

TEST_CASE("sleep waits the milliseconds given and returns null" * doctest::timeout(30)) {
  auto start = std::chrono::steady_clock::now();
  CHECK(call("sleep", {30}).is_null());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(30));
  CHECK_THROWS_AS(call("sleep", {-1}), std::invalid_argument);
  CHECK_THROWS_AS(call("sleep", {"10"}), std::invalid_argument);
  CHECK_THROWS_AS(call("sleep", json::array()), std::invalid_argument);
}

TEST_CASE("sleep returns early by throwing when the stop token fires" * doctest::timeout(30)) {
  TestContext context;
  context.request_stop();
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(call("sleep", {60000}, context), "sleep interrupted: the node is stopping", std::runtime_error);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("fail throws std::runtime_error with the message given" * doctest::timeout(30)) {
  CHECK_THROWS_WITH_AS(call("fail", {"boom"}), "boom", std::runtime_error);
  CHECK_THROWS_WITH_AS(call("fail", {42}), "fail expects params [message]: one string", std::invalid_argument);
}

TEST_CASE("count reports progress {done, total} at every step and returns the count" * doctest::timeout(30)) {
  TestContext context;
  CHECK(call("count", {3, 0}, context) == 3);
  REQUIRE(context.progress().size() == 3);
  CHECK(context.progress()[0] == json{{"done", 1}, {"total", 3}});
  CHECK(context.progress()[2] == json{{"done", 3}, {"total", 3}});
  CHECK(call("count", {0}) == 0);
  CHECK_THROWS_AS(call("count", {-2}), std::invalid_argument);
  CHECK_THROWS_AS(call("count", {2, 1, 0}), std::invalid_argument);
  CHECK_THROWS_AS(call("count", {1.5}), std::invalid_argument);
}

TEST_CASE("count stops when the stop token fires" * doctest::timeout(30)) {
  TestContext context;
  context.request_stop();
  CHECK_THROWS_AS(call("count", {1000, 1000}, context), std::runtime_error);
  CHECK(context.progress().empty());
}

TEST_CASE("sum adds up its numbers, given as params or as one array param" * doctest::timeout(30)) {
  json integers = call("sum", {1, 2, 3});
  CHECK(integers.is_number_integer());
  CHECK(integers == 6);
  // What a chord's final task gets when the results it waits for come as one list.
  json listed = call("sum", json::array({json{4, -5, 6}}));
  CHECK(listed.is_number_integer());
  CHECK(listed == 5);
  CHECK(call("sum", {7}) == 7);
  CHECK(call("sum", json::array()) == 0);
  CHECK(call("sum", json::array({json::array()})) == 0);
}

TEST_CASE("sum gives a double when any number is one" * doctest::timeout(30)) {
  json mixed = call("sum", {1, 0.5, 2});
  CHECK(mixed.is_number_float());
  CHECK(mixed.get<double>() == doctest::Approx(3.5));
  CHECK(call("sum", json::array({json{0.25, 0.25}})).get<double>() == doctest::Approx(0.5));
}

TEST_CASE("sum of integers that would overflow fails, and sum of anything but numbers says what it expects" *
          doctest::timeout(30)) {
  json big = std::numeric_limits<std::int64_t>::max();
  CHECK_THROWS_WITH_AS(call("sum", {big, 1}), "sum: the result does not fit in a 64-bit integer", std::overflow_error);
  CHECK_THROWS_AS(call("sum", {std::numeric_limits<std::uint64_t>::max()}), std::overflow_error);
  CHECK_THROWS_WITH_AS(call("sum", {1, "2"}), "sum expects params [a, b, ...] or [[a, b, ...]]: numbers",
                       std::invalid_argument);
  CHECK_THROWS_AS(call("sum", json::array({json{1, 2}, 3})), std::invalid_argument);
  CHECK_THROWS_AS(call("sum", json::array({json{1, nullptr}})), std::invalid_argument);
  CHECK_THROWS_AS(call("sum", json{{"a", 1}}), std::invalid_argument);
  CHECK_THROWS_AS(call("sum", nullptr), std::invalid_argument);
}

TEST_CASE("noop returns null whatever its params" * doctest::timeout(30)) {
  CHECK(call("noop", nullptr).is_null());
  CHECK(call("noop", {1, 2, 3}).is_null());
}

}  // namespace zerotask::testing

#include "example_functions.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>

namespace zerotask::examples {
namespace {

constexpr std::int64_t kMaxSleepMs = 24 * 60 * 60 * 1000;
constexpr std::int64_t kMaxCount = 1000000;

[[noreturn]] void bad_params(std::string_view function, std::string_view expected) {
  throw std::invalid_argument(std::string(function) + " expects params " + std::string(expected));
}

const json& two_numbers(const json& params, std::string_view function) {
  if (!params.is_array() || params.size() != 2 || !params[0].is_number() || !params[1].is_number()) {
    bad_params(function, "[a, b]: two numbers");
  }
  return params;
}

[[noreturn]] void overflow(std::string_view function) {
  throw std::overflow_error(std::string(function) + ": the result does not fit in a 64-bit integer");
}

bool fits_int64(const json& number) {
  return !number.is_number_unsigned() ||
         number.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
}

// Integers stay integers (and refuse to wrap around); any float makes it a double.
template <typename IntegerOp, typename DoubleOp>
json arithmetic(const json& params, std::string_view function, IntegerOp integer_op, DoubleOp double_op) {
  const json& numbers = two_numbers(params, function);
  const json& a = numbers[0];
  const json& b = numbers[1];
  if (a.is_number_integer() && b.is_number_integer()) {
    std::int64_t result = 0;
    if (!fits_int64(a) || !fits_int64(b) || integer_op(a.get<std::int64_t>(), b.get<std::int64_t>(), &result)) {
      overflow(function);
    }
    return result;
  }
  return double_op(a.get<double>(), b.get<double>());
}

// Sleeps for `duration` unless the stop token fires first; false when it did.
bool sleep_for(std::chrono::milliseconds duration, std::stop_token token) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  woken.wait_for(lock, token, duration, [] { return false; });
  return !token.stop_requested();
}

std::int64_t non_negative_integer(const json& value, std::string_view function, std::string_view expected,
                                  std::int64_t max) {
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() ? value.get<std::uint64_t>() > std::uint64_t(max)
                                  : value.get<std::int64_t>() < 0 || value.get<std::int64_t>() > max)) {
    bad_params(function, expected);
  }
  return value.get<std::int64_t>();
}

json add(const json& params, TaskContext&) {
  return arithmetic(
      params, "add",
      [](std::int64_t a, std::int64_t b, std::int64_t* out) { return __builtin_add_overflow(a, b, out); },
      [](double a, double b) { return a + b; });
}

json subtract(const json& params, TaskContext&) {
  return arithmetic(
      params, "subtract",
      [](std::int64_t a, std::int64_t b, std::int64_t* out) { return __builtin_sub_overflow(a, b, out); },
      [](double a, double b) { return a - b; });
}

json multiply(const json& params, TaskContext&) {
  return arithmetic(
      params, "multiply",
      [](std::int64_t a, std::int64_t b, std::int64_t* out) { return __builtin_mul_overflow(a, b, out); },
      [](double a, double b) { return a * b; });
}

json echo(const json& params, TaskContext&) {
  if (params.is_array() && params.size() == 1) return params[0];
  return params;
}

json sleep(const json& params, TaskContext& context) {
  constexpr std::string_view kExpected = "[ms]: milliseconds from 0 to 86400000";
  if (!params.is_array() || params.size() != 1) bad_params("sleep", kExpected);
  auto ms = non_negative_integer(params[0], "sleep", kExpected, kMaxSleepMs);
  if (!sleep_for(std::chrono::milliseconds(ms), context.stop_token())) {
    throw std::runtime_error("sleep interrupted: the node is stopping");
  }
  return nullptr;
}

json fail(const json& params, TaskContext&) {
  if (!params.is_array() || params.size() != 1 || !params[0].is_string()) bad_params("fail", "[message]: one string");
  throw std::runtime_error(params[0].get<std::string>());
}

json count(const json& params, TaskContext& context) {
  constexpr std::string_view kExpected = "[n] or [n, ms_per_step]: n from 0 to 1000000, ms_per_step from 0 to 86400000";
  if (!params.is_array() || params.empty() || params.size() > 2) bad_params("count", kExpected);
  auto total = non_negative_integer(params[0], "count", kExpected, kMaxCount);
  std::int64_t step_ms = params.size() == 2 ? non_negative_integer(params[1], "count", kExpected, kMaxSleepMs) : 100;
  for (std::int64_t current = 1; current <= total; ++current) {
    if (!sleep_for(std::chrono::milliseconds(step_ms), context.stop_token())) {
      throw std::runtime_error("count interrupted: the node is stopping");
    }
    context.report_progress(current, total);
  }
  return total;
}

json noop(const json&, TaskContext&) {
  return nullptr;
}

// Takes its numbers as params or as one array param: the latter is what a chord's
// final task gets when the results of the tasks it waits for are passed as a list.
json sum(const json& params, TaskContext&) {
  constexpr std::string_view kExpected = "[a, b, ...] or [[a, b, ...]]: numbers";
  if (!params.is_array()) bad_params("sum", kExpected);
  const json& numbers = params.size() == 1 && params[0].is_array() ? params[0] : params;
  bool integers = true;
  for (const auto& number : numbers) {
    if (!number.is_number()) bad_params("sum", kExpected);
    integers = integers && number.is_number_integer();
  }
  if (!integers) {
    double total = 0;
    for (const auto& number : numbers) total += number.get<double>();
    return total;
  }
  std::int64_t total = 0;
  for (const auto& number : numbers) {
    if (!fits_int64(number) || __builtin_add_overflow(total, number.get<std::int64_t>(), &total)) overflow("sum");
  }
  return total;
}

}  // namespace

const std::vector<ExampleFunction>& example_functions() {
  static const std::vector<ExampleFunction> functions = {
      {"add", "[a, b] -> a + b (integers stay integers)", add, {}},
      {"count", "[n] or [n, ms_per_step=100] -> n, reporting progress {done, total} at each step", count, {}},
      {"echo", "any -> the params as given (a one-element array gives its element)", echo, {}},
      // fail always fails: retrying it would only delay its error.
      {"fail",
       "[message] -> fails with std::runtime_error(message)",
       fail,
       {.max_retries = 0, .timeout = std::nullopt}},
      {"multiply", "[a, b] -> a * b", multiply, {}},
      {"noop", "any -> null, at once", noop, {}},
      {"sleep", "[ms] -> null after ms milliseconds", sleep, {}},
      {"subtract", "[a, b] -> a - b", subtract, {}},
      {"sum", "[a, b, ...] or [[a, b, ...]] -> their sum (integers stay integers), e.g. of a chord's results", sum, {}},
  };
  return functions;
}

void register_example_functions(Node& node) {
  for (const auto& example : example_functions()) {
    node.register_function(std::string(example.name), example.function, example.options);
  }
}

}  // namespace zerotask::examples

// The Dispatcher: registration, and how calls turn into outcomes.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "dispatcher.hpp"
#include "test_context.hpp"

namespace zerotask::testing {
namespace {

struct ResizeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TaskFunction returning(json value) {
  return [value](const json&, TaskContext&) { return value; };
}

}  // namespace

TEST_CASE("the dispatcher lists its functions sorted and replaces one registered twice" * doctest::timeout(30)) {
  node_impl::Dispatcher dispatcher;
  CHECK(dispatcher.empty());
  dispatcher.add("zeta", returning(1));
  dispatcher.add("alpha", returning(2));
  dispatcher.add("zeta", returning(3));
  auto functions = dispatcher.functions();
  REQUIRE(functions.size() == 2);
  CHECK(functions[0].name == "alpha");
  CHECK(functions[1].name == "zeta");
  TestContext context;
  REQUIRE(dispatcher.find("zeta") != nullptr);
  CHECK((*dispatcher.find("zeta"))(nullptr, context) == 3);
  CHECK(dispatcher.find("beta") == nullptr);
}

TEST_CASE("the dispatcher refuses empty or too long names and empty functions" * doctest::timeout(30)) {
  node_impl::Dispatcher dispatcher;
  CHECK_THROWS_AS(dispatcher.add("", returning(1)), std::invalid_argument);
  CHECK_THROWS_AS(dispatcher.add(std::string(129, 'x'), returning(1)), std::invalid_argument);
  CHECK_NOTHROW(dispatcher.add(std::string(128, 'x'), returning(1)));
  CHECK_THROWS_AS(dispatcher.add("empty", TaskFunction()), std::invalid_argument);
}

TEST_CASE("the dispatcher keeps each function's options and refuses ones out of the protocol's ranges" *
          doctest::timeout(30)) {
  node_impl::Dispatcher dispatcher;
  FunctionOptions options;
  options.max_retries = 0;
  options.timeout = std::chrono::milliseconds(5000);
  dispatcher.add("fail", returning(1), options);
  dispatcher.add("add", returning(2));
  auto functions = dispatcher.functions();
  REQUIRE(functions.size() == 2);
  CHECK_FALSE(functions[0].options.max_retries);
  CHECK_FALSE(functions[0].options.timeout);
  CHECK(functions[1].options.max_retries == 0);
  CHECK(functions[1].options.timeout == std::chrono::milliseconds(5000));

  auto with_retries = [](int retries) {
    FunctionOptions out;
    out.max_retries = retries;
    return out;
  };
  auto with_timeout = [](std::chrono::milliseconds timeout) {
    FunctionOptions out;
    out.timeout = timeout;
    return out;
  };
  CHECK_NOTHROW(dispatcher.add("f", returning(1), with_retries(100)));
  CHECK_THROWS_WITH_AS(dispatcher.add("f", returning(1), with_retries(101)),
                       "max_retries of function 'f' must be 0 to 100", std::invalid_argument);
  CHECK_THROWS_AS(dispatcher.add("f", returning(1), with_retries(-1)), std::invalid_argument);
  CHECK_NOTHROW(dispatcher.add("f", returning(1), with_timeout(std::chrono::milliseconds(1))));
  CHECK_NOTHROW(dispatcher.add("f", returning(1), with_timeout(std::chrono::hours(24))));
  CHECK_THROWS_WITH_AS(dispatcher.add("f", returning(1), with_timeout(std::chrono::milliseconds(0))),
                       "the timeout of function 'f' must be 1 to 86400000 ms", std::invalid_argument);
  CHECK_THROWS_AS(
      dispatcher.add("f", returning(1), with_timeout(std::chrono::hours(24) + std::chrono::milliseconds(1))),
      std::invalid_argument);
}

TEST_CASE("a call that returns gives its result and no error" * doctest::timeout(30)) {
  TestContext context;
  auto outcome = node_impl::call_function([](const json& params, TaskContext&) { return params.at(0).get<int>() * 2; },
                                          json{21}, context);
  CHECK_FALSE(outcome.error);
  CHECK(outcome.result == 42);
}

TEST_CASE("a thrown exception becomes task_failed with its message and demangled type" * doctest::timeout(30)) {
  TestContext context;
  auto outcome = node_impl::call_function(
      [](const json&, TaskContext&) -> json { throw ResizeError("image too large"); }, nullptr, context);
  REQUIRE(outcome.error);
  CHECK(outcome.error->code == rpc::kTaskFailed);
  CHECK(outcome.error->message == "image too large");
  CHECK(outcome.error->data == json{{"type", "zerotask::testing::(anonymous namespace)::ResizeError"}});
  CHECK(outcome.result.is_null());
}

TEST_CASE("something thrown that is not a std::exception still fails the task with its type" * doctest::timeout(30)) {
  TestContext context;
  auto outcome = node_impl::call_function([](const json&, TaskContext&) -> json { throw 42; }, nullptr, context);
  REQUIRE(outcome.error);
  CHECK(outcome.error->code == rpc::kTaskFailed);
  CHECK(outcome.error->message == "unknown exception");
  CHECK(outcome.error->data == json{{"type", "int"}});
}

TEST_CASE("the error for a missing function is unknown_function and names it" * doctest::timeout(30)) {
  auto error = node_impl::unknown_function("resize");
  CHECK(error.code == rpc::kUnknownFunction);
  CHECK(error.message == "this node has no function 'resize'");
}

TEST_CASE("the error for a task past its timeout is timed_out and gives the timeout" * doctest::timeout(30)) {
  auto error = node_impl::timed_out(std::chrono::milliseconds(250));
  CHECK(error.to_json() == json{{"code", rpc::kTimedOut},
                                {"message", "task timed out after 250 ms"},
                                {"data", {{"type", "zerotask::TimedOut"}}}});
}

}  // namespace zerotask::testing

// The Dispatcher: registration, and how calls turn into outcomes.
#include <doctest/doctest.h>

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
  CHECK(dispatcher.names() == std::vector<std::string>{"alpha", "zeta"});
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

}  // namespace zerotask::testing

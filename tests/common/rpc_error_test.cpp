// RpcError and the params helpers (common/include/zerotask/rpc_error.hpp): the
// exception handlers throw, and the typed field readers whose messages name the
// field that is wrong.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "zerotask/rpc_error.hpp"

using zerotask::json;
using zerotask::RpcError;
namespace params = zerotask::params;
namespace rpc = zerotask::rpc;

namespace {

// Runs `action`, which must throw RpcError, and returns the error it carried.
template <class Action>
rpc::Error error_of(Action action) {
  try {
    action();
  } catch (const RpcError& error) {
    return error.error();
  }
  FAIL("no RpcError was thrown");
  return {};
}

}  // namespace

TEST_CASE("an RpcError carries its code, message and data" * doctest::timeout(10)) {
  RpcError error(rpc::kNotFound, "no task 00000000000000aa", json{{"id", "00000000000000aa"}});
  CHECK(error.code() == rpc::kNotFound);
  CHECK(std::string(error.what()) == "no task 00000000000000aa");
  CHECK(error.error().message == "no task 00000000000000aa");
  CHECK(error.error().data == json{{"id", "00000000000000aa"}});

  RpcError without_data(rpc::kOverloaded, "busy");
  CHECK(without_data.error().data.is_null());
  CHECK(without_data.error().to_json() == json{{"code", -32003}, {"message", "busy"}});
}

TEST_CASE("an RpcError made from an rpc::Error keeps it whole and is a std::runtime_error" * doctest::timeout(10)) {
  rpc::Error source{rpc::kTaskFailed, "boom", json{{"type", "std::runtime_error"}}};
  try {
    throw RpcError(source);
  } catch (const std::runtime_error& caught) {
    CHECK(std::string(caught.what()) == "boom");
    const auto* rpc_error = dynamic_cast<const RpcError*>(&caught);
    REQUIRE(rpc_error != nullptr);
    CHECK(rpc_error->error().to_json() == source.to_json());
  }
}

TEST_CASE("params::object treats null params as an empty object and refuses arrays and scalars" *
          doctest::timeout(10)) {
  CHECK(params::object(nullptr) == json::object());
  json given = {{"a", 1}};
  CHECK(&params::object(given) == &given);
  for (const json& wrong : {json::array({1}), json(5), json("x"), json(true)}) {
    CAPTURE(wrong.dump());
    rpc::Error error = error_of([&] { params::object(wrong); });
    CHECK(error.code == rpc::kInvalidParams);
    CHECK(error.message == "params must be an object");
  }
}

TEST_CASE("params::required_string returns the value or names the missing or mistyped field" * doctest::timeout(10)) {
  json object = {{"id", "abc"}, {"number", 5}, {"nothing", nullptr}};
  CHECK(params::required_string(object, "id") == "abc");

  rpc::Error missing = error_of([&] { params::required_string(object, "function"); });
  CHECK(missing.code == rpc::kInvalidParams);
  CHECK(missing.message == "function is required");

  CHECK(error_of([&] { params::required_string(object, "nothing"); }).message == "nothing is required");

  rpc::Error mistyped = error_of([&] { params::required_string(object, "number"); });
  CHECK(mistyped.code == rpc::kInvalidParams);
  CHECK(mistyped.message == "number must be a string");
}

TEST_CASE("params::optional_string gives nothing for absent or null fields and refuses other types" *
          doctest::timeout(10)) {
  json object = {{"state", "QUEUED"}, {"empty", ""}, {"nothing", nullptr}, {"list", json::array()}};
  CHECK(params::optional_string(object, "state") == std::optional<std::string>("QUEUED"));
  CHECK(params::optional_string(object, "empty") == std::optional<std::string>(""));
  CHECK_FALSE(params::optional_string(object, "absent").has_value());
  CHECK_FALSE(params::optional_string(object, "nothing").has_value());
  CHECK(error_of([&] { params::optional_string(object, "list"); }).message == "list must be a string");
}

TEST_CASE("params::integer returns the fallback, the value, or a message naming the field and its range" *
          doctest::timeout(10)) {
  json object = {{"limit", 50},        {"low", -1}, {"high", 1001}, {"fraction", 1.5}, {"text", "5"},
                 {"nothing", nullptr}, {"min", 1},  {"max", 1000},  {"flag", true},    {"negative", -20}};
  CHECK(params::integer(object, "limit", 100, 1, 1000) == 50);
  CHECK(params::integer(object, "absent", 100, 1, 1000) == 100);
  CHECK(params::integer(object, "nothing", 100, 1, 1000) == 100);
  CHECK(params::integer(object, "min", 100, 1, 1000) == 1);
  CHECK(params::integer(object, "max", 100, 1, 1000) == 1000);
  CHECK(params::integer(object, "negative", 0, -100, 100) == -20);

  rpc::Error below = error_of([&] { params::integer(object, "low", 100, 0, 1000); });
  CHECK(below.code == rpc::kInvalidParams);
  CHECK(below.message == "low must be between 0 and 1000");
  CHECK(error_of([&] { params::integer(object, "high", 100, 1, 1000); }).message == "high must be between 1 and 1000");

  for (const char* key : {"fraction", "text", "flag"}) {
    CAPTURE(key);
    rpc::Error error = error_of([&] { params::integer(object, key, 0, 0, 10); });
    CHECK(error.code == rpc::kInvalidParams);
    CHECK(error.message == std::string(key) + " must be an integer");
  }
}

TEST_CASE("params::integer refuses unsigned values beyond the largest signed integer" * doctest::timeout(10)) {
  json object = {{"huge", std::numeric_limits<std::uint64_t>::max()},
                 {"just_over", std::uint64_t{9223372036854775808ULL}}};
  CHECK(error_of([&] { params::integer(object, "huge", 0, 0, 10); }).message == "huge must be between 0 and 10");
  CHECK(error_of([&] { params::integer(object, "just_over", 0, 0, 10); }).message ==
        "just_over must be between 0 and 10");
  // A large but representable unsigned value inside the range is accepted.
  json fits = {{"big", std::uint64_t{4000000000ULL}}};
  CHECK(params::integer(fits, "big", 0, 0, 5000000000LL) == 4000000000LL);
  // At the edges of int64 nothing overflows or wraps.
  constexpr auto kLargest = std::numeric_limits<std::int64_t>::max();
  CHECK(error_of([&] { params::integer(object, "huge", 0, 0, kLargest); }).message ==
        "huge must be between 0 and " + std::to_string(kLargest));
  json over = {{"x", std::uint64_t{9223372036854775809ULL}}};
  CHECK_THROWS_AS(params::integer(over, "x", 0, std::numeric_limits<std::int64_t>::min(), -1), RpcError);
}

TEST_CASE("params::boolean returns the fallback or the value and refuses anything but true or false" *
          doctest::timeout(10)) {
  json object = {{"wait", true}, {"off", false}, {"nothing", nullptr}, {"text", "true"}, {"number", 1}};
  CHECK(params::boolean(object, "wait", false) == true);
  CHECK(params::boolean(object, "off", true) == false);
  CHECK(params::boolean(object, "absent", true) == true);
  CHECK(params::boolean(object, "nothing", false) == false);
  for (const char* key : {"text", "number"}) {
    CAPTURE(key);
    rpc::Error error = error_of([&] { params::boolean(object, key, false); });
    CHECK(error.code == rpc::kInvalidParams);
    CHECK(error.message == std::string(key) + " must be true or false");
  }
}

// Task specs: every field of a task.submit / task.submit_many entry read and checked
// (docs/PROTOCOL.md, section 4, and the issue 4 additions), with the exact message
// a client gets; and the order a batch's tasks are made in.
#include <doctest/doctest.h>

#include <string>

#include "task_spec.hpp"
#include "zerotask/error_codes.hpp"
#include "zerotask/rpc_error.hpp"

using namespace zerotask;
using namespace zerotask::broker;

namespace {

constexpr std::int64_t kNow = 1795437582000;   // a fixed "now", ms since the Unix epoch
constexpr std::int64_t kYearMs = 31536000000;  // the protocol's limit of countdown_ms and result_ttl_ms

// Specs go through their text, as on the wire: a non-negative integer is then
// unsigned, as the broker's parser makes it.
json wire(const json& spec) {
  return json::parse(spec.dump());
}

TaskSpec read(const json& spec, std::size_t batch_size = 0) {
  json parsed = wire(spec);
  return read_task_spec(parsed, batch_size, kNow);
}

// The message of the invalid-params error reading `spec` throws; "" when it reads.
std::string refusal(const json& spec, std::size_t batch_size = 0) {
  try {
    read(spec, batch_size);
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc::kInvalidParams);
    return error.error().message;
  }
  return "";
}

json with(const json& fields) {
  json spec = {{"function", "work"}};
  spec.update(fields);
  return spec;
}

std::string an_id(int n) {
  return format_task_id(0x100000 + static_cast<TaskId>(n));
}

// A batch of specs read as task.submit_many reads them.
std::vector<TaskSpec> batch(const std::vector<json>& entries) {
  std::vector<TaskSpec> specs;
  for (const json& entry : entries) specs.push_back(read(entry, entries.size()));
  return specs;
}

std::string cycle_refusal(const std::vector<TaskSpec>& specs) {
  try {
    creation_order(specs);
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc::kInvalidParams);
    return error.error().message;
  }
  return "";
}

}  // namespace

TEST_CASE("a spec with only a function reads with every default" * doctest::timeout(10)) {
  TaskSpec spec = read(json{{"function", "work"}});
  const NewTask& task = spec.task;
  CHECK(task.function == "work");
  CHECK(task.params_json == "[]");
  CHECK(task.queue == "default");
  CHECK(task.priority == 0);
  CHECK(task.run_at == 0);
  CHECK(task.depends_on.empty());
  CHECK(spec.batch_dependencies.empty());
  CHECK(task.on_dependency_failure == DependencyFailure::Cancel);
  CHECK(task.pass_results == PassResults::None);
  CHECK_FALSE(task.unique);
  CHECK(task.result_ttl_ms == -1);
}

TEST_CASE("a spec with every new field reads each of them" * doctest::timeout(10)) {
  TaskSpec spec = read(with({{"params", json::array({1})},
                             {"queue", "gpu"},
                             {"priority", 9},
                             {"countdown_ms", 1500},
                             {"depends_on", json::array({an_id(1), an_id(2)})},
                             {"on_dependency_failure", "run"},
                             {"pass_results", "list"},
                             {"result_ttl_ms", 0}}));
  const NewTask& task = spec.task;
  CHECK(task.params_json == "[1]");
  CHECK(task.queue == "gpu");
  CHECK(task.priority == 9);
  CHECK(task.run_at == kNow + 1500);
  CHECK(task.depends_on == std::vector<TaskId>{*parse_task_id(an_id(1)), *parse_task_id(an_id(2))});
  CHECK(task.on_dependency_failure == DependencyFailure::Run);
  CHECK(task.pass_results == PassResults::List);
  CHECK(task.result_ttl_ms == 0);
  CHECK(read(with({{"unique", true}})).task.unique);
  CHECK(read(with({{"pass_results", "prepend"}, {"depends_on", json::array({an_id(1)})}})).task.pass_results ==
        PassResults::Prepend);
  CHECK(read(with({{"pass_results", "none"}})).task.pass_results == PassResults::None);
  CHECK(read(with({{"on_dependency_failure", "cancel"}})).task.on_dependency_failure == DependencyFailure::Cancel);
}

TEST_CASE("queue must be a name of 1 to 128 bytes" * doctest::timeout(10)) {
  CHECK(refusal(with({{"queue", ""}})) == "queue must be 1 to 128 bytes");
  CHECK(refusal(with({{"queue", std::string(129, 'q')}})) == "queue must be 1 to 128 bytes");
  CHECK(refusal(with({{"queue", 7}})) == "queue must be a string");
  CHECK(read(with({{"queue", std::string(128, 'q')}})).task.queue.size() == 128);
}

TEST_CASE("priority must be an integer from 0 to 9" * doctest::timeout(10)) {
  CHECK(refusal(with({{"priority", -1}})) == "priority must be between 0 and 9");
  CHECK(refusal(with({{"priority", 10}})) == "priority must be between 0 and 9");
  CHECK(refusal(with({{"priority", 1.5}})) == "priority must be an integer");
  CHECK(refusal(with({{"priority", "high"}})) == "priority must be an integer");
  CHECK(read(with({{"priority", 0}})).task.priority == 0);
}

TEST_CASE("countdown_ms must be an integer from 0 to a year (31,536,000,000 ms)" * doctest::timeout(10)) {
  CHECK(refusal(with({{"countdown_ms", -1}})) == "countdown_ms must be between 0 and 31536000000");
  CHECK(refusal(with({{"countdown_ms", "soon"}})) == "countdown_ms must be an integer");
  CHECK(read(with({{"countdown_ms", kYearMs}})).task.run_at == kNow + kYearMs);
  CHECK(read(with({{"countdown_ms", 0}})).task.run_at == 0);  // at once
  CHECK(refusal(with({{"countdown_ms", kYearMs + 1}})) == "countdown_ms must be between 0 and 31536000000");
}

TEST_CASE("eta is a time in ms since the Unix epoch, and a past one queues at once" * doctest::timeout(10)) {
  CHECK(read(with({{"eta", kNow + 60000}})).task.run_at == kNow + 60000);
  CHECK(read(with({{"eta", kNow - 60000}})).task.run_at == 0);
  CHECK(read(with({{"eta", 0}})).task.run_at == 0);
  CHECK(refusal(with({{"eta", -1}})).starts_with("eta must be between 0 and "));
  CHECK(refusal(with({{"eta", "tomorrow"}})) == "eta must be an integer");
}

TEST_CASE("countdown_ms and eta together are refused" * doctest::timeout(10)) {
  CHECK(refusal(with({{"countdown_ms", 10}, {"eta", kNow + 10}})) == "give countdown_ms or eta, not both");
}

TEST_CASE("result_ttl_ms must be an integer from 0 to a year (31,536,000,000 ms)" * doctest::timeout(10)) {
  CHECK(refusal(with({{"result_ttl_ms", -1}})) == "result_ttl_ms must be between 0 and 31536000000");
  CHECK(refusal(with({{"result_ttl_ms", true}})) == "result_ttl_ms must be an integer");
  CHECK(read(with({{"result_ttl_ms", kYearMs}})).task.result_ttl_ms == kYearMs);
  CHECK(refusal(with({{"result_ttl_ms", kYearMs + 1}})) == "result_ttl_ms must be between 0 and 31536000000");
}

TEST_CASE("unique must be a boolean" * doctest::timeout(10)) {
  CHECK(refusal(with({{"unique", "yes"}})) == "unique must be true or false");
  CHECK(refusal(with({{"unique", 1}})) == "unique must be true or false");
}

TEST_CASE("on_dependency_failure and pass_results take only their named values" * doctest::timeout(10)) {
  CHECK(refusal(with({{"on_dependency_failure", "ignore"}})) ==
        R"(on_dependency_failure must be one of "cancel", "run")");
  CHECK(refusal(with({{"on_dependency_failure", 1}})) == "on_dependency_failure must be a string");
  CHECK(refusal(with({{"pass_results", "append"}, {"depends_on", json::array({an_id(1)})}})) ==
        R"(pass_results must be one of "none", "prepend", "list")");
}

TEST_CASE("depends_on must be an array of at most 10,000 task ids" * doctest::timeout(10)) {
  const std::string message = "depends_on must be an array of at most 10000 task ids";
  CHECK(refusal(with({{"depends_on", an_id(1)}})) == message);
  CHECK(refusal(with({{"depends_on", json::object()}})) == message);
  json most = json::array();
  for (int i = 0; i < 10000; ++i) most.push_back(an_id(i));
  CHECK(read(with({{"depends_on", most}})).task.depends_on.size() == 10000);
  most.push_back(an_id(10000));
  CHECK(refusal(with({{"depends_on", most}})) == message);
  CHECK(read(with({{"depends_on", nullptr}})).task.depends_on.empty());
  CHECK(read(with({{"depends_on", json::array()}})).task.depends_on.empty());
}

TEST_CASE("depends_on entries that are not task ids are refused, naming the entry" * doctest::timeout(10)) {
  CHECK(refusal(with({{"depends_on", json::array({"abc"})}})) ==
        "depends_on: abc is not a task id (16 lowercase hex digits)");
  CHECK(refusal(with({{"depends_on", json::array({"00000000000000AB"})}})) ==
        "depends_on: 00000000000000AB is not a task id (16 lowercase hex digits)");
  CHECK(refusal(with({{"depends_on", json::array({an_id(1), an_id(1)})}})) ==
        "depends_on names task " + an_id(1) + " twice");
  // In task.submit there is no batch: an integer is no task id.
  CHECK(refusal(with({{"depends_on", json::array({0})}})) == "depends_on entries must be task ids");
  CHECK(refusal(with({{"depends_on", json::array({nullptr})}})) == "depends_on entries must be task ids");
}

TEST_CASE("depends_on indexes in a batch must be entries of that batch, each once" * doctest::timeout(10)) {
  TaskSpec mixed = read(with({{"depends_on", json::array({2, an_id(1), 0})}}), 3);
  REQUIRE(mixed.batch_dependencies.size() == 2);
  CHECK(mixed.batch_dependencies[0].index == 2);
  CHECK(mixed.batch_dependencies[0].position == 0);
  CHECK(mixed.batch_dependencies[1].index == 0);
  CHECK(mixed.batch_dependencies[1].position == 2);
  // The places of batch entries hold 0 until they are made; the ids keep theirs.
  CHECK(mixed.task.depends_on.size() == 3);
  CHECK(mixed.task.depends_on[0] == 0);
  CHECK(mixed.task.depends_on[2] == 0);
  CHECK(mixed.existing_dependencies().size() == 1);
  CHECK(refusal(with({{"depends_on", json::array({3})}}), 3) == "depends_on: index 3 is outside the batch");
  CHECK(refusal(with({{"depends_on", json::array({1, 1})}}), 3) == "depends_on names index 1 twice");
  CHECK(refusal(with({{"depends_on", json::array({-1})}}), 3) ==
        "depends_on entries must be task ids or indexes of entries of this batch");
  CHECK(refusal(with({{"depends_on", json::array({1.0})}}), 3) ==
        "depends_on entries must be task ids or indexes of entries of this batch");
}

TEST_CASE("pass_results needs depends_on, array params and no unique" * doctest::timeout(10)) {
  CHECK(refusal(with({{"pass_results", "prepend"}})) == "pass_results needs depends_on");
  CHECK(refusal(with({{"pass_results", "list"}, {"depends_on", json::array()}})) == "pass_results needs depends_on");
  CHECK(refusal(with(
            {{"pass_results", "list"}, {"depends_on", json::array({an_id(1)})}, {"params", json{{"width", 3}}}})) ==
        "pass_results needs params given as an array (or none)");
  CHECK(refusal(with({{"pass_results", "list"}, {"depends_on", json::array({an_id(1)})}, {"unique", true}})) ==
        "a unique task cannot take pass_results: its params are not known at submit");
  // Batch indexes count as dependencies; null params are no params.
  CHECK(read(with({{"pass_results", "list"}, {"depends_on", json::array({1})}, {"params", nullptr}}), 2)
            .task.pass_results == PassResults::List);
  // Object params are fine without pass_results.
  CHECK(read(with({{"params", json{{"width", 3}}}})).task.params_json == R"({"width":3})");
}

TEST_CASE("the existing fields keep their messages" * doctest::timeout(10)) {
  CHECK(refusal(json::array()) == "a task must be an object");
  CHECK(refusal(json::object()) == "function is required");
  CHECK(refusal(json{{"function", ""}}) == "function must be 1 to 128 bytes");
  CHECK(refusal(with({{"params", "text"}})) == "params must be an array, an object or null");
  CHECK(refusal(with({{"max_retries", 101}})) == "max_retries must be between 0 and 100");
  CHECK(refusal(with({{"timeout_ms", 0}})) == "timeout_ms must be between 1 and 86400000");
  CHECK(refusal(with({{"idempotency_key", ""}})) == "idempotency_key must be 1 to 128 bytes");
}

TEST_CASE("a field that is not a task's is refused by name, unless the caller reads it" * doctest::timeout(10)) {
  CHECK(refusal(with({{"max_retry", 5}})) == "unknown field 'max_retry'");
  CHECK(refusal(with({{"wait", true}})) == "unknown field 'wait'");
  json spec = wire(with({{"wait", true}, {"max_retries", 2}}));
  constexpr std::string_view kWait[] = {"wait"};
  CHECK(read_task_spec(spec, 0, kNow, kWait).task.max_retries == 2);
}

TEST_CASE("a function in a reserved namespace is refused: no call could reach it" * doctest::timeout(10)) {
  for (const char* name : {"task.get", "node.x", "broker.ping", "schedule.add", "limits.set", "event.emit", "rpc.x"}) {
    CAPTURE(name);
    CHECK(refusal({{"function", name}}) ==
          "function '" + std::string(name) +
              "' is in a reserved namespace (task., node., broker., schedule., limits., event., rpc.)");
  }
  CHECK(refusal({{"function", "tasks.get"}}).empty());
}

TEST_CASE("creation_order keeps a batch's order when nothing depends on anything" * doctest::timeout(10)) {
  auto specs = batch({with(json::object()), with(json::object()), with(json::object()), with(json::object())});
  CHECK(creation_order(specs) == std::vector<std::size_t>{0, 1, 2, 3});
}

TEST_CASE("creation_order puts every entry after the entries it depends on" * doctest::timeout(10)) {
  auto specs = batch({with({{"depends_on", json::array({3})}}), with(json::object()),
                      with({{"depends_on", json::array({0, 1})}}), with({{"depends_on", json::array({1})}})});
  CHECK(creation_order(specs) == std::vector<std::size_t>{1, 3, 0, 2});
}

TEST_CASE("creation_order refuses an entry that depends on itself" * doctest::timeout(10)) {
  auto specs = batch({with(json::object()), with({{"depends_on", json::array({1})}})});
  CHECK(cycle_refusal(specs) == "tasks[1] depends on itself");
}

TEST_CASE("creation_order refuses a cycle of three, naming an entry that could never start" * doctest::timeout(10)) {
  auto specs = batch({with(json::object()), with({{"depends_on", json::array({2})}}),
                      with({{"depends_on", json::array({3})}}), with({{"depends_on", json::array({1})}})});
  CHECK(cycle_refusal(specs) == "depends_on forms a cycle: tasks[1] could never start");
}

TEST_CASE("callback_url is kept as given when it is an http URL, without its fragment" * doctest::timeout(10)) {
  CHECK(read({{"function", "add"}}).task.callback_url.empty());
  CHECK(read({{"function", "add"}, {"callback_url", "http://hooks.example:8080/done?x=1"}}).task.callback_url ==
        "http://hooks.example:8080/done?x=1");
  CHECK(read({{"function", "add"}, {"callback_url", "http://hooks.example/done?x=1#top"}}).task.callback_url ==
        "http://hooks.example/done?x=1");
}

TEST_CASE("callback_url must be an http URL, with the reason in the message" * doctest::timeout(10)) {
  CHECK(refusal({{"function", "add"}, {"callback_url", 7}}) == "callback_url must be a string");
  CHECK(refusal({{"function", "add"}, {"callback_url", "https://hooks.example/done"}}) ==
        "callback_url must start with http:// (https is not supported)");
  CHECK(refusal({{"function", "add"}, {"callback_url", "http://"}}) == "callback_url has no host");
  CHECK(refusal({{"function", "add"}, {"callback_url", "http://h:99999/"}}) ==
        "callback_url has a port that is not a number from 1 to 65535");
}

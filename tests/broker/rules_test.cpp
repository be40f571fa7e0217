#include <doctest/doctest.h>

#include <stdexcept>

#include "named_regex.hpp"
#include "rule_engine.hpp"
#include "rules.hpp"
#include "scheduler_fixture.hpp"

using namespace zerotask::broker;
using zerotask::json;

namespace {

json params_of(const MadeTask& made) {
  return json::parse(made.task.params_json);
}

std::string parse_error(const std::string& text) {
  try {
    Rules::parse(text, "rules.json");
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("named groups capture by name beside plain and non-capturing groups" * doctest::timeout(10)) {
  NamedRegex regex(R"(^(a|b)(?:-)(?<bucket>[a-z]+)/(?<file>[^/]+)(\.jpg)?$)");
  std::map<std::string, std::string> groups;
  REQUIRE(regex.search("a-photos/cat.jpg", groups));
  CHECK(groups["bucket"] == "photos");
  CHECK(groups["file"] == "cat.jpg");
  CHECK_FALSE(regex.search("c-photos/cat", groups));
}

TEST_CASE("parentheses escaped or inside a character class are no groups" * doctest::timeout(10)) {
  NamedRegex regex(R"(\((?<inner>[^)(]+)\)[(](?<after>\w+))");
  std::map<std::string, std::string> groups;
  REQUIRE(regex.search("(x)(y", groups));
  CHECK(groups["inner"] == "x");
  CHECK(groups["after"] == "y");
}

TEST_CASE("a bad pattern or group name is refused with the reason" * doctest::timeout(10)) {
  CHECK_THROWS_WITH(NamedRegex("add("), doctest::Contains("does not compile"));
  CHECK_THROWS_WITH(NamedRegex("(?<a>x)(?<a>y)"), doctest::Contains("used twice"));
  CHECK_THROWS_WITH(NamedRegex("(?<1a>x)"), doctest::Contains("must start with a letter"));
  CHECK_THROWS_WITH(NamedRegex("(?<a-b>x)"), doctest::Contains("letters, digits"));
  CHECK_THROWS_WITH(NamedRegex("(?<abc"), doctest::Contains("not closed"));
}

TEST_CASE("a task rule fills its template from named groups and the result, keeping types" * doctest::timeout(10)) {
  Rules rules = Rules::parse(R"({"rules": [{"name": "r", "task": "^import_(?<table>\\w+)$",
      "make": {"function": "report_${table}", "params": {"table": "${table}", "rows": "${result.rows}",
               "line": "${table}: ${result.rows} rows", "first": "${result.ids.0}"}, "queue": "q-${table}", "priority": 3}}]})",
                             "test");
  auto made = rules.on_success("import_users", json{{"rows", 12}, {"ids", {7, 8}}});
  REQUIRE(made.size() == 1);
  CHECK(made[0].rule == "r");
  CHECK(made[0].task.function == "report_users");
  CHECK(made[0].task.queue == "q-users");
  CHECK(made[0].task.priority == 3);
  CHECK(made[0].task.unique);
  CHECK(params_of(made[0]) == json{{"table", "users"}, {"rows", 12}, {"line", "users: 12 rows"}, {"first", 7}});
  CHECK(rules.on_success("export_users", json()).empty());
  CHECK(rules.on_event("import_users", json()).empty());  // a task rule does not match events
}

TEST_CASE("an event rule takes the event's data, and a template naming nothing makes no task" * doctest::timeout(10)) {
  Rules rules = Rules::parse(R"({"rules": [
      {"name": "uploads", "event": "^upload:(?<file>.+)$", "make": {"function": "resize", "params": ["${file}", "${data.size}"]}},
      {"name": "broken", "event": "^upload:", "make": {"function": "resize", "params": ["${nothing}"]}}]})",
                             "test");
  auto made = rules.on_event("upload:cat.jpg", json{{"size", 5}});
  REQUIRE(made.size() == 1);
  CHECK(made[0].rule == "uploads");
  CHECK(params_of(made[0]) == json::array({"cat.jpg", 5}));
  CHECK(made[0].task.queue == "default");
}

TEST_CASE("an event rule whose filled-in function is in a reserved namespace makes no task" * doctest::timeout(10)) {
  Rules rules = Rules::parse(
      R"({"rules": [{"name": "any", "event": "^call$", "make": {"function": "${data}"}}]})", "test");
  CHECK(rules.on_event("call", "broker.ping").empty());
  auto made = rules.on_event("call", "resize");
  REQUIRE(made.size() == 1);
  CHECK(made[0].task.function == "resize");
}

TEST_CASE("a rules file with a bad rule is refused naming the file, the rule and the reason" * doctest::timeout(10)) {
  CHECK(parse_error("not json").find("rules.json is not valid JSON") != std::string::npos);
  CHECK(parse_error(R"({"rule": []})").find("\"rules\"") != std::string::npos);
  CHECK(parse_error(R"({"rules": [{"name": "x", "task": "a", "event": "b", "make": {"function": "f"}}]})")
            .find("rule 'x': give task or event") != std::string::npos);
  CHECK(parse_error(R"({"rules": [{"name": "x", "task": "a"}]})").find("rule 'x': make is missing") !=
        std::string::npos);
  CHECK(parse_error(R"({"rules": [{"name": "x", "task": "a", "make": {"params": []}}]})")
            .find("rule 'x': make.function") != std::string::npos);
  CHECK(parse_error(R"({"rules": [{"name": "x", "task": "a", "make": {"function": "f", "eta": 1}}]})")
            .find("rule 'x': make.eta is not a field") != std::string::npos);
  CHECK(parse_error(R"({"rules": [{"name": "x", "task": "a", "make": {"function": "f"}, "when": "always"}]})")
            .find("rule 'x': unknown field 'when'") != std::string::npos);
  CHECK(parse_error(R"({"rules": [{"name": "x", "task": "a", "make": {"function": "f", "priority": 10}}]})")
            .find("priority must be an integer 0 to 9") != std::string::npos);
  CHECK(parse_error(R"({"rules": [{"name": "x", "task": "a(", "make": {"function": "f"}}]})")
            .find("rule 'x': the pattern does not compile") != std::string::npos);
  CHECK(parse_error(R"({"rules": [{"name": "x", "task": "a", "make": {"function": "f"}},
                                   {"name": "x", "task": "b", "make": {"function": "f"}}]})")
            .find("another rule has this name") != std::string::npos);
  CHECK(parse_error(R"({"rules": [{"task": "a", "make": {"function": "f"}}]})").find("rule '#1': name") !=
        std::string::npos);
  CHECK(parse_error(R"({"rules": [{"name": "x", "event": "a", "make": {"function": "task.get"}}]})")
            .find("rule 'x': make.function 'task.get' is in a reserved namespace") != std::string::npos);
  CHECK_THROWS_WITH_AS(Rules::load("/nonexistent/rules.json"), "rules file /nonexistent/rules.json cannot be read",
                       std::runtime_error);
}

TEST_CASE("tasks made by rules for successes wait while the store cannot write, then are made" * doctest::timeout(10)) {
  zerotask::broker::testing::Fixture f;
  RuleEngine engine(Rules::parse(R"({"rules": [{"name": "r", "task": "^add$", "make": {"function": "echo"}}]})", "test"),
                    f.scheduler);
  f.hello("n1", "node-1", "add", 1, f.now);
  zerotask::TaskId id = f.submit(zerotask::broker::testing::task("add", json::array({1, 2})), std::nullopt);
  f.scheduler.dispatch();
  f.runs_for("n1");
  f.scheduler.set_store_available(false, "disk full");
  f.report("n1", id, 1, 3);
  engine.apply();
  CHECK(f.scheduler.stats(f.now)["submitted"] == 1);
  f.scheduler.set_store_available(true, "");
  engine.apply();
  CHECK(f.scheduler.stats(f.now)["submitted"] == 2);
}

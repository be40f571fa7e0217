#include "rules.hpp"

#include <map>
#include <set>
#include <stdexcept>

#include "config_file.hpp"
#include "task_spec.hpp"
#include "zerotask/log.hpp"
#include "zerotask/rpc_error.hpp"

namespace zerotask::broker {
namespace {

constexpr std::size_t kMaxRules = 1000;

// The value at a dotted path ("result.rows", "data.files.0") among `values`.
const json& lookup(const json& values, const std::string& path) {
  const json* at = &values;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (at->is_object() && at->contains(part)) {
      at = &(*at)[part];
    } else if (at->is_array() && !part.empty() && part.find_first_not_of("0123456789") == std::string::npos &&
               part.size() < 10 && std::stoul(part) < at->size()) {
      at = &(*at)[std::stoul(part)];
    } else {
      throw std::invalid_argument("${" + path + "} names nothing");
    }
    if (dot == std::string::npos) return *at;
    start = dot + 1;
  }
}

// A template string filled in: "${x}" alone becomes x's JSON value; otherwise each
// ${...} becomes its text (strings as they are, other values as JSON).
json fill_string(const std::string& text, const json& values) {
  if (text.size() > 3 && text.starts_with("${") && text.ends_with("}") && text.find("${", 2) == std::string::npos) {
    return lookup(values, text.substr(2, text.size() - 3));
  }
  std::string out;
  std::size_t at = 0;
  while (true) {
    std::size_t open = text.find("${", at);
    if (open == std::string::npos) break;
    std::size_t close = text.find('}', open);
    if (close == std::string::npos) throw std::invalid_argument("a ${ is not closed");
    out.append(text, at, open - at);
    const json& value = lookup(values, text.substr(open + 2, close - open - 2));
    out += value.is_string() ? value.get<std::string>() : rpc::to_text(value);
    at = close + 1;
  }
  out.append(text, at);
  return out;
}

json fill(const json& node, const json& values) {
  if (node.is_string()) return fill_string(node.get<std::string>(), values);
  if (node.is_array() || node.is_object()) {
    json out = node.is_array() ? json::array() : json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (node.is_array()) {
        out.push_back(fill(*it, values));
      } else {
        out[it.key()] = fill(*it, values);
      }
    }
    return out;
  }
  return node;
}

// `check`: check_name, or check_function_name for the function.
std::string fill_name(const json& make, const char* key, const json& values, std::string fallback,
                      void (*check)(std::string_view, std::string_view)) {
  auto field = make.find(key);
  if (field == make.end()) return fallback;
  json filled = fill(*field, values);
  if (!filled.is_string()) throw std::invalid_argument(std::string(key) + " is not a string once filled in");
  std::string name = filled.get<std::string>();
  check(name, key);
  return name;
}

constexpr std::string_view kRuleFields[] = {"name", "task", "event", "make"};

// Checks one rule's "make" so that mistakes show at start, not at the first match.
void check_make(const json& make) {
  if (!make.is_object()) throw std::invalid_argument("make must be an object");
  auto function = make.find("function");
  if (function == make.end() || !function->is_string()) throw std::invalid_argument("make.function must be a string");
  // A name without a placeholder is the name of every task the rule makes.
  if (function->get<std::string>().find("${") == std::string::npos) {
    check_function_name(function->get<std::string>(), "make.function");
  }
  if (auto queue = make.find("queue"); queue != make.end() && !queue->is_string()) {
    throw std::invalid_argument("make.queue must be a string");
  }
  if (auto params = make.find("params"); params != make.end() && !params->is_array() && !params->is_object()) {
    throw std::invalid_argument("make.params must be an array or an object");
  }
  if (auto priority = make.find("priority"); priority != make.end()) {
    if (!priority->is_number_integer() || priority->get<std::int64_t>() < 0 ||
        priority->get<std::int64_t>() > kMaxPriority) {
      throw std::invalid_argument("make.priority must be an integer 0 to 9");
    }
  }
  for (const auto& [key, value] : make.items()) {
    if (key != "function" && key != "params" && key != "queue" && key != "priority") {
      throw std::invalid_argument("make." + key + " is not a field of a rule's task");
    }
  }
}

}  // namespace

Rules Rules::load(const std::string& path) {
  return parse(read_config_file(path, "rules"), path);
}

Rules Rules::parse(const std::string& text, const std::string& source) {
  json document = json::parse(text, nullptr, false);
  if (document.is_discarded()) throw std::runtime_error("rules file " + source + " is not valid JSON");
  auto list = document.is_object() ? document.find("rules") : document.end();
  if (list == document.end() || !list->is_array() || list->size() > kMaxRules) {
    throw std::runtime_error("rules file " + source +
                             " must be an object with \"rules\": an array of at most 1000 rules");
  }
  Rules rules;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& entry = (*list)[i];
    std::string name = entry.is_object() && entry.contains("name") && entry["name"].is_string()
                           ? entry["name"].get<std::string>()
                           : "#" + std::to_string(i + 1);
    try {
      if (!entry.is_object()) throw std::invalid_argument("a rule must be an object");
      if (!entry.contains("name") || !entry["name"].is_string() || name.empty()) {
        throw std::invalid_argument("name must be a non-empty string");
      }
      if (!names.insert(name).second) throw std::invalid_argument("another rule has this name");
      params::known_fields_only(entry, kRuleFields);
      bool on_task = entry.contains("task");
      if (on_task == entry.contains("event"))
        throw std::invalid_argument("give task or event (a pattern), exactly one");
      const json& pattern = entry[on_task ? "task" : "event"];
      if (!pattern.is_string())
        throw std::invalid_argument(std::string(on_task ? "task" : "event") + " must be a string");
      auto make = entry.find("make");
      if (make == entry.end()) throw std::invalid_argument("make is missing");
      check_make(*make);
      rules.rules_.push_back(Rule{name, on_task, NamedRegex(pattern.get<std::string>()), *make});
    } catch (const std::exception& error) {
      throw std::runtime_error("rules file " + source + ": rule '" + name + "': " + error.what());
    }
  }
  return rules;
}

std::vector<MadeTask> Rules::on_success(const std::string& function, const json& result) const {
  return made_of(true, function, "result", result);
}

std::vector<MadeTask> Rules::on_event(const std::string& event, const json& data) const {
  return made_of(false, event, "data", data);
}

std::vector<MadeTask> Rules::made_of(bool on_task, const std::string& subject, const char* value_name,
                                     const json& value) const {
  std::vector<MadeTask> made;
  for (const Rule& rule : rules_) {
    if (rule.on_task != on_task) continue;
    std::map<std::string, std::string> groups;
    if (!rule.pattern.search(subject, groups)) continue;
    json values = json::object();
    for (auto& [name, text] : groups) values[name] = std::move(text);
    values[value_name] = value;
    try {
      MadeTask task;
      task.rule = rule.name;
      task.task.function = fill_name(rule.make, "function", values, "", check_function_name);
      task.task.queue = fill_name(rule.make, "queue", values, std::string(kDefaultQueue), check_name);
      if (auto params = rule.make.find("params"); params != rule.make.end())
        task.task.params_json = rpc::to_text(fill(*params, values));
      task.task.priority = rule.make.value("priority", 0);
      task.task.unique = true;
      made.push_back(std::move(task));
    } catch (const std::exception& error) {
      log(LogLevel::Warn, "broker",
          "rule '" + rule.name + "' matched " + subject + " but made no task: " + error.what());
    }
  }
  return made;
}

}  // namespace zerotask::broker

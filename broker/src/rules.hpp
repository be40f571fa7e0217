// Rules: what the rules file (broker --rules FILE) says to make when a task
// succeeds or a client emits an event (event.emit): each rule whose regular
// expression matches the task's function (or the event string) makes one task from
// its template, filled in from the expression's named groups and the task's result
// (or the event's data). See docs/PROTOCOL.md, "Rules". Pure logic.
#pragma once

#include <string>
#include <vector>

#include "named_regex.hpp"
#include "scheduler.hpp"

namespace zerotask::broker {

struct MadeTask {
  std::string rule;
  NewTask task;
};

class Rules {
 public:
  Rules() = default;  // no rules
  // Reads the file. Throws std::runtime_error naming the file, the rule and what
  // is wrong with it.
  static Rules load(const std::string& path);
  // Reads rules from the file's text; `source` names it in errors.
  static Rules parse(const std::string& text, const std::string& source);

  bool empty() const { return rules_.empty(); }
  // The tasks made of a task of `function` that succeeded with `result`.
  std::vector<MadeTask> on_success(const std::string& function, const json& result) const;
  // The tasks made of the event `event` emitted with `data`.
  std::vector<MadeTask> on_event(const std::string& event, const json& data) const;

 private:
  struct Rule {
    std::string name;
    bool on_task = true;  // matched against succeeded tasks' functions, else against events
    NamedRegex pattern;
    json make;  // {function, params?, queue?, priority?}, strings may hold ${...}
  };

  std::vector<MadeTask> made_of(bool on_task, const std::string& subject, const char* value_name,
                                const json& value) const;

  std::vector<Rule> rules_;
};

}  // namespace zerotask::broker

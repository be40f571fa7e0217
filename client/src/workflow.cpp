#include "workflow.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace zerotask::detail {
namespace {

void require_tasks(const std::vector<TaskSpec>& specs, const std::string& what) {
  if (specs.empty()) throw std::invalid_argument(what + " needs at least one task");
}

json entry(TaskSpec spec) {
  return submit_request_params(spec.function, std::move(spec.params), spec.options);
}

// The entry of `spec` run after the batch entries `after`, their results passed as `pass`.
json linked_entry(TaskSpec spec, json after, PassResults pass, const std::string& what) {
  if (!spec.options.depends_on.empty() || spec.options.pass_results != PassResults::None) {
    throw std::invalid_argument(what + " sets depends_on or pass_results, which its workflow sets");
  }
  spec.options.pass_results = pass;
  json linked = entry(std::move(spec));
  linked["depends_on"] = std::move(after);
  return linked;
}

}  // namespace

json chain_entries(std::vector<TaskSpec> steps) {
  require_tasks(steps, "a chain");
  json entries = json::array();
  entries.push_back(entry(std::move(steps.front())));
  for (std::size_t k = 1; k < steps.size(); ++k) {
    entries.push_back(linked_entry(std::move(steps[k]), json::array({k - 1}), PassResults::Prepend,
                                   "step " + std::to_string(k) + " of a chain"));
  }
  return entries;
}

json group_entries(std::vector<TaskSpec> members) {
  require_tasks(members, "a group");
  json entries = json::array();
  for (TaskSpec& member : members) entries.push_back(entry(std::move(member)));
  return entries;
}

json chord_entries(std::vector<TaskSpec> header, TaskSpec body) {
  require_tasks(header, "the header of a chord");
  json entries = group_entries(std::move(header));
  json after = json::array();
  for (std::size_t k = 0; k < entries.size(); ++k) after.push_back(k);
  entries.push_back(linked_entry(std::move(body), std::move(after), PassResults::List, "the body of a chord"));
  return entries;
}

}  // namespace zerotask::detail

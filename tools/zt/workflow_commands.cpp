// zt chain, zt group and zt chord: one workflow of the Client, its steps given as
// strings (arguments.hpp, workflow_step), its result printed.
#include <string>
#include <vector>

#include "arguments.hpp"
#include "command_support.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"

namespace zerotask::zt {
namespace {

std::vector<TaskSpec> workflow_steps(const std::vector<std::string>& texts) {
  std::vector<TaskSpec> steps;
  steps.reserve(texts.size());
  for (const std::string& text : texts) steps.push_back(workflow_step(text));
  return steps;
}

// The id, with --no-wait; otherwise the result, once the task is final.
int finish_workflow(const GlobalOptions& global, const WorkflowArguments& workflow, const TaskFuture& last,
                    const std::string& what, std::ostream& out) {
  if (workflow.no_wait) {
    if (global.json) {
      print_json(out, {{"id", last.id()}});
    } else {
      out << last.id() << '\n';
    }
    return kOk;
  }
  wait_for_timeout(global, last, what);
  print_result(global, out, last.result());
  return kOk;
}

}  // namespace

int run_chain(const GlobalOptions& global, const WorkflowArguments& workflow, std::ostream& out) {
  std::vector<TaskSpec> steps = workflow_steps(workflow.steps);
  Client client(global.broker, client_options(global));
  return finish_workflow(global, workflow, client.chain(std::move(steps)), "the chain", out);
}

int run_chord(const GlobalOptions& global, const WorkflowArguments& workflow, std::ostream& out) {
  std::vector<TaskSpec> header = workflow_steps(workflow.steps);
  TaskSpec body = workflow_step(workflow.then);
  Client client(global.broker, client_options(global));
  return finish_workflow(global, workflow, client.chord(std::move(header), std::move(body)), "the chord", out);
}

int run_group(const GlobalOptions& global, const WorkflowArguments& workflow, std::ostream& out) {
  std::vector<TaskSpec> members = workflow_steps(workflow.steps);
  Client client(global.broker, client_options(global));
  GroupFuture group = client.group(std::move(members));
  if (workflow.no_wait) {
    if (global.json) {
      print_json(out, {{"ids", group.ids()}});
    } else {
      for (const std::string& id : group.ids()) out << id << '\n';
    }
    return kOk;
  }
  wait_for_timeout(global, group, "the group");
  print_result(global, out, group.results());
  return kOk;
}

}  // namespace zerotask::zt

// zt schedule, zt limits and zt emit: how tasks are made or held back without a
// submitter waiting (periodic schedules, per-function limits, events for the
// broker's rules). Each is one request (command_support.hpp, run_request and
// run_request_about); its params are read from the command line before it
// connects, so a usage error sends nothing.
#include <string>

#include "arguments.hpp"
#include "command_support.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace zerotask::zt {

int run_schedule_add(const GlobalOptions& global, const ScheduleArguments& schedule, const TaskArguments& task,
                     std::ostream& out) {
  return run_request(global, "schedule.add", schedule_params(schedule, task), format_schedule, out);
}

int run_schedule_list(const GlobalOptions& global, std::ostream& out) {
  return run_request(global, "schedule.list", nullptr, format_schedules, out);
}

int run_schedule_remove(const GlobalOptions& global, const std::string& name, std::ostream& out) {
  return run_request_about(global, "schedule.remove", {{"name", name}}, "schedule " + name, format_removed_schedule,
                           out);
}

int run_limits_set(const GlobalOptions& global, const LimitsArguments& limits, std::ostream& out) {
  return run_request(global, "limits.set", limits_params(limits), format_limits, out);
}

int run_limits_list(const GlobalOptions& global, std::ostream& out) {
  return run_request(global, "limits.list", nullptr, format_limits_list, out);
}

int run_limits_remove(const GlobalOptions& global, const std::string& function, std::ostream& out) {
  return run_request_about(global, "limits.remove", {{"function", function}}, "limits on " + function,
                           format_removed_limits, out);
}

int run_emit(const GlobalOptions& global, const EmitArguments& emit, std::ostream& out) {
  return run_request(global, "event.emit", emit_params(emit), format_made_tasks, out);
}

}  // namespace zerotask::zt

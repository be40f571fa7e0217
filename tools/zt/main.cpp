// zt: the zerotask command line. Parses the command line with CLI11 and hands the
// subcommand to commands.cpp; exit codes are listed in exit_codes.hpp and in -h.
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "zerotask/version.hpp"

namespace {

using namespace zerotask::zt;

// The longest countdown and result TTL the broker takes: a year.
constexpr std::int64_t kYearMs = 31'536'000'000;

// For options whose empty value the client library reads as "not given": given
// empty, they are refused rather than silently meaning the default.
const CLI::Validator kNotEmpty(
    [](const std::string& value) { return value.empty() ? std::string("must not be empty") : std::string(); },
    "NOT EMPTY");

// The options every subcommand takes, before or after its name.
void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.add_option("--broker", global.broker, "Broker request endpoint")->capture_default_str();
  app.add_option("--events", global.events, "Broker event endpoint (default: the broker's port + 1)");
  app.add_flag("--json", global.json, "Print raw JSON");
  app.add_option("--timeout", global.timeout_ms, "Give up after this many milliseconds (default: none; a call: 30000)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--curve-key", global.curve_key_file,
                 "zt's key pair, a file from `zt keygen`, for a broker that requires CURVE (default: the secret key "
                 "in ZEROTASK_SECRET_KEY)");
  app.add_option("--broker-key", global.broker_key_file,
                 "The broker's public key file (default: the key in ZEROTASK_BROKER_KEY)");
  app.set_version_flag("--version", std::string(zerotask::version()));
}

CLI::App* add_command(CLI::App& app, GlobalOptions& global, const std::string& name, const std::string& description) {
  CLI::App* command = app.add_subcommand(name, description);
  add_global_options(*command, global);
  return command;
}

void add_task_arguments(CLI::App& command, TaskArguments& task) {
  command.add_option("function", task.function, "Function to run")->required();
  command.add_option("args", task.args,
                     "Its arguments, each JSON if it parses as JSON (5, true, \"x\", [1]), "
                     "otherwise a string");
  command.add_option("--params", task.params, "All params as one JSON array or object, instead of ARGS");
  command.add_flag("--require-node", task.require_node, "Fail at once if no connected node serves FUNCTION");
  command
      .add_option("--max-retries", task.max_retries, "Failed attempts to retry (default: the function's or broker's)")
      ->check(CLI::Range(0, 100));
  command.add_option("--task-timeout-ms", task.task_timeout_ms, "Fail an attempt that runs longer than this")
      ->check(CLI::Range(1L, 86400000L));
  command.add_option("--key", task.idempotency_key,
                     "Idempotency key: a second submission with the same key follows the first task")
      ->check(kNotEmpty);
  command.add_option("--queue", task.queue, "Named queue: only nodes serving it get the task (default: \"default\")")
      ->check(kNotEmpty);
  command.add_option("--priority", task.priority, "0 to 9: higher runs first within its queue (default 0)")
      ->check(CLI::Range(0, 9));
  CLI::Option* countdown =
      command.add_option("--countdown-ms", task.countdown_ms, "Queue the task only after this many milliseconds")
          ->check(CLI::Range(std::int64_t{0}, kYearMs));
  command.add_option("--eta-ms", task.eta_ms, "Queue the task only at this time, in ms since the Unix epoch")
      ->excludes(countdown);
  command
      .add_option("--after", task.after,
                  "Run only after this task SUCCEEDED (repeat the option, or separate ids with commas)")
      ->allow_extra_args(false);
  command.add_option("--on-dependency-failure", task.on_dependency_failure,
                     "When a dependency fails or is cancelled: cancel (default) or run anyway");
  command.add_option("--pass-results", task.pass_results,
                     "Pass the dependencies' results: none (default), prepend (one leading param each) or list "
                     "(one leading param, their array)");
  command.add_flag("--unique", task.unique,
                   "Make nothing while a task of the same function, params and queue submitted with --unique waits or "
                   "runs");
  command.add_option("--result-ttl-ms", task.result_ttl_ms, "Keep the finished task this long")
      ->check(CLI::Range(std::int64_t{0}, kYearMs));
}

// The task options that mean nothing in a schedule (arguments.hpp,
// schedule_params): still parsed, so that giving one is refused saying why, but
// left out of `zt schedule add -h`.
void hide_from_schedule_help(CLI::App& schedule_add) {
  for (const char* name : {"--require-node", "--key", "--countdown-ms", "--eta-ms", "--after",
                           "--on-dependency-failure", "--pass-results"}) {
    schedule_add.get_option(name)->group("");
  }
}

// The subcommands of `zt schedule` (add, list, remove) and `zt limits` (set, list,
// remove).
struct ManageCommands {
  CLI::App* put;  // schedule add, limits set
  CLI::App* list;
  CLI::App* remove;
};

ManageCommands add_schedule_commands(CLI::App& app, GlobalOptions& global, ScheduleArguments& schedule,
                                     TaskArguments& task, std::string& name) {
  CLI::App* command = add_command(app, global, "schedule", "Make a task periodically: add, list or remove a schedule");
  command->require_subcommand(1);
  CLI::App* add = add_command(*command, global, "add",
                              "Add a schedule (replacing the one of that name) and print it: NAME, --cron or "
                              "--every-ms, then the task as zt submit takes it");
  add->add_option("name", schedule.name, "Schedule name (1 to 128 bytes)")->required();
  add_task_arguments(*add, task);
  hide_from_schedule_help(*add);
  add->add_option("--cron", schedule.cron,
                  "When, as a cron expression evaluated in UTC: five fields ('0 3 * * *') or @hourly, @daily...");
  add->add_option("--every-ms", schedule.every_ms,
                  "Every this many milliseconds, the first run one interval from now (100 to a year)")
      ->check(CLI::Range(std::int64_t{100}, kYearMs));
  CLI::App* list = add_command(*command, global, "list", "List the schedules: name, when, next run and last task");
  CLI::App* remove = add_command(*command, global, "remove", "Remove a schedule (tasks it made are left alone)");
  remove->add_option("name", name, "Schedule name")->required();
  return {add, list, remove};
}

ManageCommands add_limits_commands(CLI::App& app, GlobalOptions& global, LimitsArguments& limits,
                                   std::string& function) {
  CLI::App* command = add_command(app, global, "limits",
                                  "Limit a function's tasks across all nodes: set, list or remove its rate and "
                                  "concurrency limits");
  command->require_subcommand(1);
  CLI::App* set = add_command(*command, global, "set",
                              "Set a function's limits (replacing its earlier ones) and print them; give --rate, "
                              "--concurrency or both");
  set->add_option("function", limits.function, "Function to limit")->required();
  set->add_option("--rate", limits.rate, "Start at most this many of its tasks a second (above 0, up to 1000000)")
      ->check(CLI::Range(0.0, 1000000.0));
  set->add_option("--burst", limits.burst,
                  "With --rate: how many may start at once after a quiet spell (1 to 1000000; default: the rate "
                  "rounded up)")
      ->check(CLI::Range(1, 1000000));
  set->add_option("--concurrency", limits.concurrency, "Run at most this many of its tasks at once (1 to 1000000)")
      ->check(CLI::Range(1, 1000000));
  CLI::App* list = add_command(*command, global, "list", "List the functions that have limits, and their limits");
  CLI::App* remove = add_command(*command, global, "remove", "Remove a function's limits");
  remove->add_option("function", function, "Function whose limits go")->required();
  return {set, list, remove};
}

void add_workflow_arguments(CLI::App& command, WorkflowArguments& workflow, const std::string& steps_help) {
  command.add_option("steps", workflow.steps, steps_help)->required();
  command.add_flag("--no-wait", workflow.no_wait, "Print the task ids instead of waiting for the result");
}

}  // namespace

int main(int argc, char** argv) {
  GlobalOptions global;
  TaskArguments task;
  WorkflowArguments workflow;
  ListArguments list;
  ScheduleArguments schedule;
  LimitsArguments limits;
  EmitArguments emit;
  TopArguments top;
  std::string id;
  std::string name;  // of a schedule, or the function whose limits go

  CLI::App app{"zt: run, follow and inspect zerotask tasks; manage schedules, limits and events", "zt"};
  app.footer(kExitCodeHelp);
  app.require_subcommand(1);
  add_global_options(app, global);

  CLI::App* call = add_command(app, global, "call", "Run a function, wait for it and print its result");
  add_task_arguments(*call, task);
  CLI::App* submit = add_command(app, global, "submit", "Queue a function call and print the task id");
  add_task_arguments(*submit, task);
  const std::string step_help =
      "One quoted string per task: a function name, then its arguments as zt call takes them ('add 1 2')";
  CLI::App* chain = add_command(app, global, "chain",
                                "Run tasks one after the other, each given the previous result "
                                "as its first argument; print the last result");
  add_workflow_arguments(*chain, workflow, step_help);
  CLI::App* group = add_command(app, global, "group", "Run tasks side by side; print the array of their results");
  add_workflow_arguments(*group, workflow, step_help);
  CLI::App* chord = add_command(app, global, "chord",
                                "Run tasks side by side, then --then with the array of their results as its first "
                                "argument; print its result");
  add_workflow_arguments(*chord, workflow, step_help);
  chord->add_option("--then", workflow.then, "The task run after the others, as one quoted string ('sum')")->required();
  CLI::App* status = add_command(app, global, "status", "Print a task's state (and progress or result)");
  CLI::App* wait = add_command(app, global, "wait", "Wait until a task is final and print its result");
  CLI::App* watch = add_command(app, global, "watch",
                                "Print a task's state changes, progress and partial results live until it ends");
  CLI::App* cancel = add_command(app, global, "cancel", "Cancel a task (a running one: ask its node to stop it)");
  CLI::App* retry = add_command(app, global, "retry", "Queue a FAILED task (a dead letter) again");
  for (CLI::App* command : {status, wait, watch, cancel, retry}) command->add_option("id", id, "Task id")->required();
  CLI::App* stats = add_command(app, global, "stats", "Print the broker's counters");
  CLI::App* nodes = add_command(app, global, "nodes", "List the connected nodes");
  CLI::App* functions = add_command(app, global, "functions", "List the functions served or waited for");
  CLI::App* list_command = add_command(app, global, "list", "List tasks, oldest first");
  list_command->add_option("--state", list.state, "Only tasks in this state (QUEUED, RUNNING, SUCCEEDED...)");
  list_command->add_option("--function", list.function, "Only tasks of this function");
  list_command->add_option("--limit", list.limit, "At most this many tasks (1 to 1000; default 100)")
      ->check(CLI::Range(1, 1000));
  list_command->add_option("--offset", list.offset, "Skip this many tasks")->check(CLI::NonNegativeNumber);
  CLI::App* ping = add_command(app, global, "ping", "Check that the broker answers");
  CLI::App* top_command =
      add_command(app, global, "top",
                  "Show queues, functions, nodes and throughput, refreshed until q or Ctrl-C (one snapshot when "
                  "stdout is not a terminal, or with --json)");
  top_command
      ->add_option("--interval-ms", top.interval_ms,
                   "Milliseconds between refreshes, and over which the throughput is measured (100 to 3600000)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{3'600'000}));
  const ManageCommands schedules = add_schedule_commands(app, global, schedule, task, name);
  const ManageCommands limit_commands = add_limits_commands(app, global, limits, name);
  KeygenArguments keygen;
  CLI::App* keygen_command =
      add_command(app, global, "keygen", "Make a CURVE key pair: NAME.key (secret, readable by you only) and NAME.pub");
  keygen_command->add_option("name", keygen.name, "The key's name (letters, digits, '.', '_', '-')")->required();
  keygen_command->add_option("--dir", keygen.dir, "Where to write the two files")->capture_default_str();
  CLI::App* emit_command =
      add_command(app, global, "emit", "Send an event to the broker's rules and print the ids of the tasks they made");
  emit_command
      ->add_option("event", emit.event, "The event, matched against the rules' patterns ('upload:photos/a.jpg')")
      ->required();
  emit_command->add_option("data", emit.data,
                           "Its data as JSON, for the rules' ${data} ('{\"size\": 2048}'; quote a string: '\"text\"')");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // Help and --version end the parse with exit code 0; every real error is usage.
    return app.exit(error) == 0 ? kOk : kUsage;
  }
  global.terminal = detect_terminal(STDOUT_FILENO);

  const std::map<CLI::App*, std::function<int()>> runners{
      {call, [&] { return run_call(global, task, std::cout); }},
      {submit, [&] { return run_submit(global, task, std::cout); }},
      {chain, [&] { return run_chain(global, workflow, std::cout); }},
      {group, [&] { return run_group(global, workflow, std::cout); }},
      {chord, [&] { return run_chord(global, workflow, std::cout); }},
      {status, [&] { return run_status(global, id, std::cout); }},
      {wait, [&] { return run_wait(global, id, std::cout); }},
      {watch, [&] { return run_watch(global, id, std::cout); }},
      {cancel, [&] { return run_task_change(global, "task.cancel", id, std::cout); }},
      {retry, [&] { return run_task_change(global, "task.retry", id, std::cout); }},
      {stats, [&] { return run_stats(global, std::cout); }},
      {nodes, [&] { return run_nodes(global, std::cout); }},
      {functions, [&] { return run_functions(global, std::cout); }},
      {list_command, [&] { return run_list(global, list, std::cout); }},
      {ping, [&] { return run_ping(global, std::cout); }},
      {top_command, [&] { return run_top(global, top, std::cout); }},
      {schedules.put, [&] { return run_schedule_add(global, schedule, task, std::cout); }},
      {schedules.list, [&] { return run_schedule_list(global, std::cout); }},
      {schedules.remove, [&] { return run_schedule_remove(global, name, std::cout); }},
      {limit_commands.put, [&] { return run_limits_set(global, limits, std::cout); }},
      {limit_commands.list, [&] { return run_limits_list(global, std::cout); }},
      {limit_commands.remove, [&] { return run_limits_remove(global, name, std::cout); }},
      {emit_command, [&] { return run_emit(global, emit, std::cout); }},
      {keygen_command, [&] { return run_keygen(global, keygen, std::cout); }},
  };
  // require_subcommand(1) at each level: exactly one subcommand was parsed, and
  // exactly one under it for `schedule` and `limits`.
  CLI::App* chosen = app.get_subcommands().front();
  while (!chosen->get_subcommands().empty()) chosen = chosen->get_subcommands().front();
  return run_guarded(runners.at(chosen), std::cerr);
}

#include "workflows.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "drivers.hpp"
#include "durations.hpp"
#include "workload.hpp"

namespace zerotask::bench {
namespace {

constexpr std::size_t kChainLength = 3;
// A task.wait that comes back with its task not final fails the run: no task of
// the figure takes anywhere near this long.
constexpr std::uint64_t kWaitTimeoutMs = 60000;

// What task `index` of a unit of `run` must end with.
std::int64_t expected_result(WorkflowRun run, std::size_t index, std::size_t group_size) {
  switch (run) {
    case WorkflowRun::Chains:
    case WorkflowRun::ChainsPlain: {
      constexpr std::int64_t kChainResults[kChainLength] = {3, 30, 35};  // 1 + 2, then * 10, then + 5
      return kChainResults[index];
    }
    case WorkflowRun::Groups:
    case WorkflowRun::GroupsPlain: return static_cast<std::int64_t>(index) + 1;
    case WorkflowRun::Chords:
    case WorkflowRun::ChordsPlain: {
      auto n = static_cast<std::int64_t>(group_size);
      return index < group_size ? static_cast<std::int64_t>(index) + 1 : n * (n + 1) / 2;
    }
  }
  throw std::logic_error("unknown workflow run");
}

void require_result(WorkflowRun run, std::size_t unit, std::size_t index, std::size_t group_size, const json& result) {
  std::int64_t expected = expected_result(run, index, group_size);
  if (result.is_number_integer() && result.get<std::int64_t>() == expected) return;
  throw std::runtime_error("unit " + std::to_string(unit) + ", task " + std::to_string(index) + ": result " +
                           rpc::to_text(result).substr(0, 100) + ", expected " + std::to_string(expected));
}

// The task.submit_many entries of one unit of a batch run (every unit is the same).
std::string unit_entries(WorkflowRun run, std::size_t group_size) {
  switch (run) {
    case WorkflowRun::Chains: return chain_entries(true);
    case WorkflowRun::ChainsPlain: return chain_entries(false);
    case WorkflowRun::Groups: return group_entries(group_size);
    case WorkflowRun::Chords: return chord_entries(group_size, true);
    case WorkflowRun::ChordsPlain: return chord_entries(group_size, false);
    case WorkflowRun::GroupsPlain: break;  // direct calls, not a batch
  }
  throw std::logic_error("not a batch run");
}

}  // namespace

std::size_t workflow_unit_tasks(WorkflowRun run, std::size_t group_size) {
  switch (run) {
    case WorkflowRun::Chains:
    case WorkflowRun::ChainsPlain: return kChainLength;
    case WorkflowRun::Groups:
    case WorkflowRun::GroupsPlain: return group_size;
    case WorkflowRun::Chords:
    case WorkflowRun::ChordsPlain: return group_size + 1;
  }
  throw std::logic_error("unknown workflow run");
}

std::chrono::nanoseconds run_workflow(RpcConnection& connection, WorkflowRun run, std::size_t units,
                                      std::size_t group_size, std::size_t window) {
  if (run == WorkflowRun::GroupsPlain) {
    // Direct calls are answered when their task ends: the window counts tasks already.
    return run_pipelined(
        connection, units * group_size, window,
        [group_size](std::uint64_t k) { return add_call(k, static_cast<std::int64_t>(k % group_size), 1); },
        [run, group_size](std::uint64_t k, json& result) {
          require_result(run, k / group_size, k % group_size, group_size, result);
        });
  }
  std::size_t unit_tasks = workflow_unit_tasks(run, group_size);
  std::string entries = unit_entries(run, group_size);
  return run_batches(
      connection, units, unit_tasks, std::max<std::size_t>(1, window / unit_tasks), kWaitTimeoutMs,
      [&entries](std::uint64_t id, std::size_t) { return submit_many(id, entries); },
      [run, group_size](std::size_t unit, std::size_t index, const json& task) {
        require_result(run, unit, index, group_size, task.value("result", json()));
      });
}

void require_workflow_functions(RpcConnection& connection) {
  json functions = connection.call("broker.functions", nullptr, kAdminTimeout).value("functions", json::array());
  std::string missing;
  for (std::string_view needed : {kAddFunction, kMultiplyFunction, kSumFunction}) {
    bool served = std::any_of(functions.begin(), functions.end(), [needed](const json& function) {
      return function.value("name", "") == needed && function.value("nodes", 0) > 0;
    });
    if (!served) missing += (missing.empty() ? "" : ", ") + std::string(needed);
  }
  if (!missing.empty()) {
    throw std::runtime_error("no node connected to " + connection.endpoint() + " serves " + missing +
                             ", which the workflow figure calls (--skip-workflow skips it)");
  }
}

}  // namespace zerotask::bench

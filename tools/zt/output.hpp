// How zt shows what the broker returns to a person (--json prints raw JSON
// instead). Pure functions over JSON; a field missing from a broker's answer shows
// as "-" rather than failing. Those given a Terminal lay their tables out for it
// (table.hpp): fitted to its width and coloured when it is a terminal that allows
// colours, whole and plain otherwise (the default).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "table.hpp"
#include "zerotask/errors.hpp"
#include "zerotask/json_rpc.hpp"

namespace zerotask::zt {

// A result: a string as its text, anything else as JSON (arrays and objects
// indented).
std::string format_value(const json& value);

// Progress: a bar, the count and the message for {"done": 45, "total": 100,
// "message": "copying"} ("[#########...........] 45/100 copying"), "3/10" for
// {"current": 3, "total": 10}, a string as its text, anything else as compact JSON.
std::string format_progress(const json& progress);

// One line for a task or a task event: "QUEUED", "PENDING (waiting for 2
// dependencies)", "RUNNING on n1", "RUNNING 3/10", "RUNNING on n1 (cancel
// requested)", "SUCCEEDED", "FAILED: boom (std::runtime_error)", "CANCELLED".
std::string task_line(const json& task);

// One partial result: "partial 3: <value>", a string as its text, anything else as
// compact JSON.
std::string partial_line(std::size_t index, const json& partial);

// `zt status`: the task's line (with why a QUEUED task is held back: "QUEUED
// (held: rate limit: 10 task(s) of resize a second)"), then the result of a task
// that succeeded. The line is coloured by the task's state (state_colour).
std::string format_status(const json& task, const Terminal& terminal = {});

// The colour of a task state: SUCCEEDED green, FAILED red, CANCELLED yellow,
// RUNNING cyan, the others none.
Colour state_colour(const std::string& state);

// The broker's line of `zt stats` and `zt top`, from broker.stats (or the
// "broker" of a top snapshot): "<epoch> (version 0.1.0, up 5.2m, store sqlite)",
// with ", STORE CANNOT WRITE" and in red while its store cannot write.
Cell broker_summary(const json& broker);
// "PENDING 0  QUEUED 3  RUNNING 2  SUCCEEDED 10  FAILED 1  CANCELLED 0" from the
// "tasks" of broker.stats.
std::string state_counts(const json& tasks);

std::string format_stats(const json& stats, const Terminal& terminal = {});
std::string format_nodes(const json& answer, const Terminal& terminal = {});      // broker.nodes
std::string format_functions(const json& answer, const Terminal& terminal = {});  // broker.functions
// task.list: a table (each state coloured), then "N of TOTAL tasks".
std::string format_list(const json& answer, const Terminal& terminal = {});
std::string format_ping(const std::string& endpoint, const json& pong, std::chrono::microseconds round_trip);

// A time in milliseconds since the Unix epoch as ISO-8601 UTC
// ("2026-11-24T03:00:00.000Z"); "-" for anything but a number.
std::string format_utc_time(const json& ms);

// `zt schedule add`: its name, when it comes due ("cron 0 3 * * *", "every 200
// ms"), its next run and its task (`echo ["tick"] queue=images`), a line each.
std::string format_schedule(const json& schedule, const Terminal& terminal = {});
std::string format_schedules(const json& answer, const Terminal& terminal = {});  // schedule.list: a line each
std::string format_removed_schedule(const json& schedule);  // "removed schedule tick (every 200 ms)"
// `zt limits set`: "resize: rate 10/s, burst 10, concurrency 4".
std::string format_limits(const json& limits);
std::string format_limits_list(const json& answer, const Terminal& terminal = {});  // limits.list: a line each
std::string format_removed_limits(const json& limits);  // "removed the limits on resize (rate 10/s, burst 10)"
std::string format_made_tasks(const json& answer);      // event.emit: the ids, a line each

// What went wrong, for "zt: <message>": "task 00ff... failed: boom
// (std::runtime_error)", "task 00ff... was cancelled", "task 00ff... was cancelled:
// its dependency 00fe... ended FAILED", or the error's message,
// followed by the name of its code for a refused request other than not_found.
std::string describe_error(const Error& error);

}  // namespace zerotask::zt

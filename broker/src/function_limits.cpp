#include "function_limits.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "task_spec.hpp"
#include "zerotask/log.hpp"
#include "zerotask/rpc_error.hpp"

namespace zerotask::broker {
namespace {

constexpr std::string_view kLimitSettingPrefix = "limit/";
constexpr double kMaxRate = 1000000;
// The slowest rate: one task in about 11.6 days. Keeps the wait for a token a
// duration the clocks can hold.
constexpr double kMinRate = 0.000001;
constexpr std::int64_t kMaxBurst = 1000000;
constexpr std::int64_t kMaxConcurrency = 1000000;
constexpr std::string_view kLimitFields[] = {"function", "rate_per_s", "burst", "concurrency"};

std::string format_rate(double rate) {
  std::string text = std::to_string(rate);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

FunctionLimits::FunctionLimits(TaskStore& store, SteadyTime now) : store_(store) {
  for (const auto& [key, text] : store_.settings(kLimitSettingPrefix)) {
    try {
      json stored = json::parse(text);
      limits_.emplace(stored.at("function").get<std::string>(), read(stored, now));
    } catch (const std::exception& error) {
      log(LogLevel::Warn, "broker", "stored limit " + key + " is unreadable and was skipped: " + error.what());
    }
  }
}

FunctionLimits::Limit FunctionLimits::read(const json& params, SteadyTime now) {
  if (!params.is_object()) params::invalid("params must be an object");
  Limit limit;
  if (auto rate = params.find("rate_per_s"); rate != params.end() && !rate->is_null()) {
    if (!rate->is_number() || !(rate->get<double>() >= kMinRate) || rate->get<double>() > kMaxRate) {
      params::invalid("rate_per_s must be a number from 0.000001 to 1000000");
    }
    limit.rate_per_s = rate->get<double>();
    limit.burst = static_cast<double>(params::integer(
        params, "burst", std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(limit.rate_per_s))), 1,
        kMaxBurst));
  } else if (params.contains("burst")) {
    params::invalid("burst needs rate_per_s");
  }
  limit.concurrency = static_cast<std::size_t>(params::integer(params, "concurrency", 0, 1, kMaxConcurrency));
  if (limit.rate_per_s == 0 && limit.concurrency == 0) params::invalid("give rate_per_s, concurrency or both");
  limit.tokens = limit.burst;
  limit.refilled = now;
  return limit;
}

json FunctionLimits::set(const json& params, SteadyTime now) {
  params::known_fields_only(params::object(params), kLimitFields);
  std::string function = params::required_string(params::object(params), "function");
  check_function_name(function, "function");
  Limit limit = read(params, now);
  json answer = to_json(function, limit);
  store_.put_setting(std::string(kLimitSettingPrefix) + function, rpc::to_text(answer));
  limits_.insert_or_assign(std::move(function), limit);
  return answer;
}

json FunctionLimits::remove(const json& params) {
  std::string function = params::required_string(params::object(params), "function");
  auto it = limits_.find(function);
  if (it == limits_.end()) throw RpcError(rpc::kNotFound, "no limits on function " + function);
  json answer = to_json(function, it->second);
  limits_.erase(it);
  store_.erase_setting(std::string(kLimitSettingPrefix) + function);
  return answer;
}

json FunctionLimits::list() const {
  std::map<std::string, const Limit*> sorted;
  for (const auto& [function, limit] : limits_) sorted.emplace(function, &limit);
  json all = json::array();
  for (const auto& [function, limit] : sorted) all.push_back(to_json(function, *limit));
  return json{{"limits", std::move(all)}};
}

json FunctionLimits::to_json(const std::string& function, const Limit& limit) {
  json out = {{"function", function}};
  if (limit.rate_per_s > 0) {
    out["rate_per_s"] = limit.rate_per_s;
    out["burst"] = static_cast<std::int64_t>(limit.burst);
  }
  if (limit.concurrency > 0) out["concurrency"] = limit.concurrency;
  return out;
}

std::string FunctionLimits::held_reason(const std::string& function, std::size_t running, SteadyTime now) {
  auto it = limits_.find(function);
  if (it == limits_.end()) return {};
  Limit& limit = it->second;
  if (limit.concurrency > 0 && running >= limit.concurrency) {
    return "concurrency limit: " + std::to_string(limit.concurrency) + " task(s) of " + function + " running";
  }
  if (limit.rate_per_s > 0) {
    std::chrono::duration<double> elapsed = now - limit.refilled;
    limit.tokens = std::min(limit.burst, limit.tokens + elapsed.count() * limit.rate_per_s);
    limit.refilled = now;
    if (limit.tokens < 1)
      return "rate limit: " + format_rate(limit.rate_per_s) + " task(s) of " + function + " a second";
  }
  return {};
}

void FunctionLimits::started(const std::string& function) {
  auto it = limits_.find(function);
  if (it != limits_.end() && it->second.rate_per_s > 0) it->second.tokens -= 1;
}

std::optional<SteadyTime> FunctionLimits::next_token(const std::string& function, SteadyTime now) const {
  auto it = limits_.find(function);
  if (it == limits_.end() || it->second.rate_per_s == 0 || it->second.tokens >= 1) return std::nullopt;
  std::chrono::duration<double> wait((1 - it->second.tokens) / it->second.rate_per_s);
  return now + std::chrono::ceil<std::chrono::microseconds>(wait);
}

}  // namespace zerotask::broker

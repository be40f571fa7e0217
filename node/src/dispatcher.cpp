#include "dispatcher.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <stdexcept>
#include <typeinfo>

#include "zerotask/limits.hpp"

namespace zerotask::node_impl {
namespace {

std::string demangle(const std::type_info* type) {
  if (type == nullptr) return "unknown";
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(type->name(), nullptr, nullptr, &status),
                                                   &std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type->name());
}

Outcome failure(std::string message, std::string type) {
  return Outcome{nullptr, rpc::Error{rpc::kTaskFailed, std::move(message), json{{"type", std::move(type)}}}};
}

}  // namespace

void Dispatcher::add(std::string name, TaskFunction function, FunctionOptions options) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    throw std::invalid_argument("a function name must be 1 to 128 bytes: '" + name + "'");
  }
  if (!function) throw std::invalid_argument("function '" + name + "' is empty");
  if (options.max_retries && (*options.max_retries < 0 || *options.max_retries > kMaxRetries)) {
    throw std::invalid_argument("max_retries of function '" + name + "' must be 0 to 100");
  }
  if (options.timeout && (options.timeout->count() < 1 || *options.timeout > kMaxTimeout)) {
    throw std::invalid_argument("the timeout of function '" + name + "' must be 1 to 86400000 ms");
  }
  functions_.insert_or_assign(std::move(name), Registered{std::move(function), options});
}

const TaskFunction* Dispatcher::find(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second.function;
}

std::vector<FunctionEntry> Dispatcher::functions() const {
  std::vector<FunctionEntry> entries;
  entries.reserve(functions_.size());
  for (const auto& [name, registered] : functions_) entries.push_back(FunctionEntry{name, registered.options});
  return entries;
}

Outcome call_function(const TaskFunction& function, const json& params, TaskContext& context) {
  try {
    return Outcome{function(params, context), std::nullopt};
  } catch (const std::exception& error) {
    return failure(error.what(), demangle(&typeid(error)));
  } catch (...) {
    // Not a std::exception: there is no message, but the runtime still knows the type.
    return failure("unknown exception", demangle(abi::__cxa_current_exception_type()));
  }
}

rpc::Error unknown_function(std::string_view name) {
  return rpc::Error{rpc::kUnknownFunction, "this node has no function '" + std::string(name) + "'", nullptr};
}

rpc::Error timed_out(std::chrono::milliseconds timeout) {
  return rpc::Error{rpc::kTimedOut, "task timed out after " + std::to_string(timeout.count()) + " ms",
                    json{{"type", "zerotask::TimedOut"}}};
}

rpc::Error cancelled() {
  return rpc::Error{rpc::kCancelled, "task cancelled", json{{"type", "zerotask::Cancelled"}}};
}

}  // namespace zerotask::node_impl

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

void Dispatcher::add(std::string name, TaskFunction function) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    throw std::invalid_argument("a function name must be 1 to 128 bytes: '" + name + "'");
  }
  if (!function) throw std::invalid_argument("function '" + name + "' is empty");
  functions_.insert_or_assign(std::move(name), std::move(function));
}

const TaskFunction* Dispatcher::find(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

std::vector<std::string> Dispatcher::names() const {
  std::vector<std::string> names;
  names.reserve(functions_.size());
  for (const auto& [name, function] : functions_) names.push_back(name);
  return names;
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

}  // namespace zerotask::node_impl

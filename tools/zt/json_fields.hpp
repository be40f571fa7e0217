// Reading fields of the broker's answers for people: a field that is missing or of
// another type shows as "-" instead of failing, so that zt shows what a broker of
// another version answers. Pure functions.
#pragma once

#include <string>

#include "zerotask/json_rpc.hpp"

namespace zerotask::zt {

// value[key], or null when `value` is not an object or has no such key.
const json& member(const json& value, const char* key);

// A scalar field as text (a string as itself, anything else as compact JSON); "-"
// when absent.
std::string field(const json& value, const char* key);

// The items of an array separated by commas (strings as themselves); "-" for
// anything but an array.
std::string join(const json& list);

// Milliseconds as "12.5s", "3.0m" or "2.5h"; "-" for anything but a number.
std::string format_duration(const json& ms);

// A number as short text: 10 for 10.0, 0.5 for 0.5; "-" for anything but a number.
std::string format_number(const json& number);

}  // namespace zerotask::zt

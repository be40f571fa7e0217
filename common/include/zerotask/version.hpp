// The product version, printed by every executable's --version.
#pragma once

#include <string_view>

namespace zerotask {

std::string_view version();

}  // namespace zerotask

// The text of a configuration file the broker reads at start (the keys file, the
// rules file), or an error naming the file.
#pragma once

#include <string>
#include <string_view>

namespace zerotask::broker {

// The whole file at `path`; throws std::runtime_error "<kind> file <path> cannot
// be read" when it cannot be opened.
std::string read_config_file(const std::string& path, std::string_view kind);

}  // namespace zerotask::broker

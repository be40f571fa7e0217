#include "config_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace zerotask::broker {

std::string read_config_file(const std::string& path, std::string_view kind) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(std::string(kind) + " file " + path + " cannot be read");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace zerotask::broker

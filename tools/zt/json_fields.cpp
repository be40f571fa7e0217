#include "json_fields.hpp"

#include <cstdio>

namespace zerotask::zt {

const json& member(const json& value, const char* key) {
  static const json kNull;
  if (!value.is_object()) return kNull;
  auto it = value.find(key);
  return it == value.end() ? kNull : *it;
}

std::string field(const json& value, const char* key) {
  const json& found = member(value, key);
  if (found.is_null()) return "-";
  if (found.is_string()) return found.get<std::string>();
  return rpc::to_text(found);
}

std::string join(const json& list) {
  if (!list.is_array()) return "-";
  std::string out;
  for (const json& item : list) {
    if (!out.empty()) out += ",";
    out += item.is_string() ? item.get<std::string>() : rpc::to_text(item);
  }
  return out;
}

std::string format_duration(const json& ms) {
  if (!ms.is_number()) return "-";
  double seconds = ms.get<double>() / 1000.0;
  char text[64];
  if (seconds < 120) {
    std::snprintf(text, sizeof text, "%.1fs", seconds);
  } else if (seconds < 7200) {
    std::snprintf(text, sizeof text, "%.1fm", seconds / 60);
  } else {
    std::snprintf(text, sizeof text, "%.1fh", seconds / 3600);
  }
  return text;
}

std::string format_number(const json& number) {
  if (!number.is_number()) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", number.get<double>());
  return text;
}

}  // namespace zerotask::zt

// The dashboard's files (broker/web/), compiled into the broker by the build
// (broker/cmake/embed_web_files.cmake writes their definition), so that the broker
// serves them without looking for files at run time. Thread-safe: constant data.
#pragma once

#include <string_view>

namespace zerotask::broker {

struct WebAsset {
  std::string_view name;     // the file name, e.g. "app.js"
  std::string_view content;  // its bytes
};

// The file of that name, or nullptr when the dashboard has none.
const WebAsset* find_web_asset(std::string_view name);

}  // namespace zerotask::broker

// Renders the result of broker.metrics (docs/PROTOCOL.md) in the Prometheus text
// exposition format 0.0.4: every family with its HELP and TYPE lines, names prefixed
// zerotask_, label values escaped. docs/HTTP.md lists the metrics. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "zerotask/json_rpc.hpp"

namespace zerotask::broker {

// The Content-Type of the text format.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";

// Throws nlohmann::json::exception when `metrics` lacks a field broker.metrics has.
std::string render_prometheus(const json& metrics);

// A label value as the text format needs it: backslash, double quote and line
// feed escaped.
std::string escape_label_value(std::string_view value);

}  // namespace zerotask::broker

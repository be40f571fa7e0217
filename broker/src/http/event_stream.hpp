// EventStream: one client's `GET /events` (docs/HTTP.md): the broker's events as
// Server-Sent Events. Owns a SUB socket on the loop's in-process event endpoint,
// made, read and closed on the one httplib thread that serves the connection (the
// handler that makes the stream and the content provider that pumps it run there).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <zmq.hpp>

namespace zerotask::broker {

// One event as Server-Sent Events text: "event: <kind>\ndata: <JSON>\n\n", kind the
// topic's first dot-separated segment and the JSON the event's body with "topic"
// added. nullopt for a body that is not a JSON object.
std::optional<std::string> format_sse_event(std::string_view topic, std::string_view body);

class EventStream {
 public:
  // Subscribes to the topics starting with `prefix` ("" for every event).
  EventStream(zmq::context_t& context, const std::string& endpoint, const std::string& prefix,
              const std::atomic<bool>& stopping);

  // Waits up to `wait` for events and appends what arrived to `out` (a keepalive
  // comment when none came for kKeepalive). False once the gateway is stopping:
  // `out` then has the last events, and the stream ends.
  bool pump(std::string& out, std::chrono::milliseconds wait);

  static constexpr std::chrono::seconds kKeepalive{15};

 private:
  zmq::socket_t socket_;
  const std::atomic<bool>& stopping_;
  std::chrono::steady_clock::time_point last_sent_;
};

}  // namespace zerotask::broker

// The routing envelope of a message on the ROUTER socket: every frame before the
// body (the peer's routing id, and a delimiter for REQ peers), kept packed in one
// string so that the common case (a 5-byte id and maybe an empty delimiter) needs
// no allocation. Replies go back with exactly the frames that came in.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zerotask::broker {

class Envelope {
 public:
  Envelope() = default;
  // False (and the envelope unchanged) if a frame is longer than 255 bytes.
  bool append_frame(std::string_view frame);
  std::vector<std::string_view> frames() const;
  // The first frame: the routing id the ROUTER gave the peer.
  std::string_view routing_id() const;
  bool empty() const { return packed_.empty(); }
  bool operator==(const Envelope&) const = default;

  static Envelope for_routing_id(std::string_view routing_id);

 private:
  std::string packed_;  // [length byte][frame bytes]...
};

}  // namespace zerotask::broker

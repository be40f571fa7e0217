#include "envelope.hpp"

namespace zerotask::broker {

bool Envelope::append_frame(std::string_view frame) {
  if (frame.size() > 255) return false;
  packed_.push_back(static_cast<char>(static_cast<unsigned char>(frame.size())));
  packed_.append(frame);
  return true;
}

std::vector<std::string_view> Envelope::frames() const {
  std::vector<std::string_view> frames;
  std::size_t at = 0;
  while (at < packed_.size()) {
    auto length = static_cast<unsigned char>(packed_[at]);
    frames.emplace_back(packed_.data() + at + 1, length);
    at += 1 + length;
  }
  return frames;
}

std::string_view Envelope::routing_id() const {
  if (packed_.empty()) return {};
  return std::string_view(packed_).substr(1, static_cast<unsigned char>(packed_[0]));
}

Envelope Envelope::for_routing_id(std::string_view routing_id) {
  Envelope envelope;
  envelope.append_frame(routing_id);
  return envelope;
}

}  // namespace zerotask::broker

#include "http/event_stream.hpp"

#include "zerotask/json_rpc.hpp"

namespace zerotask::broker {
namespace {

// Events read per pump, so that one busy stream still writes regularly.
constexpr int kMaxEventsPerPump = 1000;

}  // namespace

std::optional<std::string> format_sse_event(std::string_view topic, std::string_view body) {
  json data = json::parse(body, nullptr, false);
  if (!data.is_object()) return std::nullopt;
  data["topic"] = topic;
  std::string_view kind = topic.substr(0, topic.find('.'));
  // Compact JSON has no line breaks (they are escaped in strings): one data line.
  std::string text = "event: ";
  text += kind;
  text += "\ndata: ";
  text += rpc::to_text(data);
  text += "\n\n";
  return text;
}

EventStream::EventStream(zmq::context_t& context, const std::string& endpoint, const std::string& prefix,
                         const std::atomic<bool>& stopping)
    : socket_(context, zmq::socket_type::sub), stopping_(stopping), last_sent_(std::chrono::steady_clock::now()) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::subscribe, prefix);
  socket_.connect(endpoint);
}

bool EventStream::pump(std::string& out, std::chrono::milliseconds wait) {
  // Once stopping, what already arrived (the broker's "stopping" event) still goes out.
  const bool last = stopping_.load();
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  try {
    zmq::poll(&item, 1, last ? std::chrono::milliseconds(0) : wait);
  } catch (const zmq::error_t& error) {
    if (error.num() != EINTR) return false;
  }
  for (int read = 0; read < kMaxEventsPerPump; ++read) {
    zmq::message_t topic;
    if (!socket_.recv(topic, zmq::recv_flags::dontwait)) break;
    if (!topic.more()) continue;
    zmq::message_t body;
    if (!socket_.recv(body, zmq::recv_flags::none)) break;
    if (body.more()) {  // no event of the broker has more than two frames: skip one that would
      bool more = true;
      while (more) {
        zmq::message_t extra;
        more = socket_.recv(extra, zmq::recv_flags::none) && extra.more();
      }
      continue;
    }
    if (auto event = format_sse_event(topic.to_string_view(), body.to_string_view())) out += *event;
  }
  auto now = std::chrono::steady_clock::now();
  if (!out.empty()) {
    last_sent_ = now;
  } else if (now - last_sent_ >= kKeepalive) {
    out += ": keepalive\n\n";
    last_sent_ = now;
  }
  return !last;
}

}  // namespace zerotask::broker

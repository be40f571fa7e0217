#include "security/zap_handler.hpp"

#include <array>
#include <cstdlib>
#include <future>
#include <vector>

#include "zerotask/log.hpp"

namespace zerotask::broker {
namespace {

constexpr std::size_t kCurveKeyBytes = 32;

// A ZAP request: version, request id, domain, address, routing id, mechanism, then
// the mechanism's credentials (CURVE: the client's 32-byte public key).
enum RequestFrame : std::size_t { kVersion, kRequestId, kDomain, kAddress, kRoutingId, kMechanism, kCredentials };

void send_zap_reply(zmq::socket_t& socket, const zmq::message_t& request_id, std::string_view status,
                    std::string_view status_text, std::string_view user_id) {
  socket.send(zmq::buffer(std::string_view("1.0")), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(request_id.data(), request_id.size()), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(status), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(status_text), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
  socket.send(zmq::message_t(), zmq::send_flags::none);
}

std::string z85(const zmq::message_t& key) {
  std::array<char, 41> text{};
  zmq_z85_encode(text.data(), static_cast<const std::uint8_t*>(key.data()), kCurveKeyBytes);
  return text.data();
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, const AccessKeys& keys) : context_(context), keys_(keys) {
  // Shared: the thread may still be inside set_value() when the constructor returns.
  auto bound = std::make_shared<std::promise<void>>();
  auto ready = bound->get_future();
  thread_ = std::thread([this, bound] {
    zmq::socket_t socket(context_, zmq::socket_type::rep);
    try {
      socket.set(zmq::sockopt::linger, 0);
      socket.bind(std::string(kEndpoint));
    } catch (...) {
      bound->set_exception(std::current_exception());
      return;
    }
    bound->set_value();
    serve(socket);
  });
  try {
    ready.get();
  } catch (...) {
    thread_.join();
    throw;
  }
}

ZapHandler::~ZapHandler() {
  stop_.notify();
  thread_.join();
}

void ZapHandler::serve(zmq::socket_t& socket) {
  std::array<zmq::pollitem_t, 2> items = {{{socket.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, stop_.fd(), ZMQ_POLLIN, 0}}};
  while (true) {
    try {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(-1));
    } catch (const zmq::error_t& error) {
      if (error.num() == EINTR) continue;
      // Without a handler libzmq lets every CURVE client in: the broker must not
      // serve on.
      log(LogLevel::Error, "broker",
          std::string("the authentication handler failed: ") + error.what() +
              "; stopping the broker, which would otherwise accept every key");
      std::abort();
    }
    if (items[1].revents & ZMQ_POLLIN) return;
    if (items[0].revents & ZMQ_POLLIN) answer(socket);
  }
}

void ZapHandler::answer(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames;
  do {
    zmq::message_t frame;
    if (!socket.recv(frame, zmq::recv_flags::none)) return;
    frames.push_back(std::move(frame));
  } while (frames.back().more());
  // A REP socket must answer before it reads again: even a malformed request gets one.
  const zmq::message_t no_request_id;
  const zmq::message_t& request_id = frames.size() > kRequestId ? frames[kRequestId] : no_request_id;
  if (frames[kVersion].to_string_view() != "1.0")
    return send_zap_reply(socket, request_id, "400", "unsupported ZAP version", "");
  if (frames.size() != kCredentials + 1 || frames[kMechanism].to_string_view() != "CURVE" ||
      frames[kCredentials].size() != kCurveKeyBytes) {
    return send_zap_reply(socket, request_id, "400", "the broker accepts CURVE only", "");
  }
  std::string public_key = z85(frames[kCredentials]);
  const AccessKey* key = keys_.by_public_key(public_key);
  if (key == nullptr) {
    if (refusals_.allow(public_key, std::chrono::steady_clock::now())) {
      std::string address = frames[kAddress].to_string();
      log(LogLevel::Warn, "broker",
          "refused a connection from " + (address.empty() ? std::string("a local peer") : address) + ": its key " +
              public_key + " is not in the keys file (repeats from this key are not logged for a minute)");
    }
    return send_zap_reply(socket, request_id, "400", "unknown key", "");
  }
  send_zap_reply(socket, request_id, "200", "OK", key->name);
}

}  // namespace zerotask::broker

#include "reference_worker.hpp"

#include <iterator>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "zerotask/json_rpc.hpp"
#include "zerotask/socket_options.hpp"

namespace zerotask::bench {

void serve_reference_worker(const std::string& endpoint) {
  zmq::context_t context(1);
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  apply_socket_limits(dealer, SocketLimits{});
  dealer.connect(endpoint);
  dealer.send(zmq::buffer(rpc::encode_notification("node.hello", json::object())), zmq::send_flags::none);

  std::vector<zmq::message_t> frames;
  while (true) {
    frames.clear();
    if (!zmq::recv_multipart(dealer, std::back_inserter(frames)) || frames.size() != 2) continue;
    json request = json::parse(frames[1].to_string_view(), nullptr, false);
    if (!request.is_object()) continue;
    auto id = request.find("id");
    if (id == request.end()) continue;  // a notification: done
    std::string answer = rpc::encode_result(*id, nullptr);
    dealer.send(frames[0], zmq::send_flags::sndmore);
    dealer.send(zmq::buffer(answer), zmq::send_flags::none);
  }
}

}  // namespace zerotask::bench

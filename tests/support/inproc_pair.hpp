// Two connected PAIR sockets over inproc, each pair with its own context and
// endpoint: `sender` sends, `receiver` is the one a test waits on.
#pragma once

#include <zmq.hpp>

namespace zerotask::testing {

struct InprocPair {
  zmq::context_t context;
  zmq::socket_t sender{context, zmq::socket_type::pair};
  zmq::socket_t receiver{context, zmq::socket_type::pair};
  InprocPair() {
    receiver.bind("inproc://pair");
    sender.connect("inproc://pair");
  }
};

}  // namespace zerotask::testing

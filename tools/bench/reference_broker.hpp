// The reference broker: the least a JSON-RPC broker over ZeroMQ can do with the
// same hops as ours (client DEALER -> ROUTER -> worker DEALER and back). Each
// message is parsed and re-serialized once on the way in and once on the way out;
// there is no task table, no store, no scheduling. It serves one worker (the last
// peer that sent node.hello) and answers broker.ping itself with
// {"pong":true,"workers":0|1}. Clients are DEALERs sending [body].
//
// With a `window` above 0 at most that many requests are at the worker at a time,
// the rest wait in arrival order (the flow a zerotask node's slots allow); the
// worker then answers notifications too, each given an id by the broker, and
// those answers go to no one. With 0 every message goes to the worker at once.
//
// Runs in its own process (`zt-bench --serve-reference-broker ENDPOINT`) on the
// calling thread, which owns its one socket, until the process is killed.
#pragma once

#include <cstddef>
#include <string>

namespace zerotask::bench {

[[noreturn]] void serve_reference_broker(const std::string& endpoint, std::size_t window);

}  // namespace zerotask::bench

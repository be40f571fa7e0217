// The reference worker: a DEALER that says node.hello to the reference broker,
// then for each [client, body] it receives parses the body and, for a request,
// answers [client, {"jsonrpc":"2.0","id":<id>,"result":null}]. No dispatcher, no
// threads: the least work a worker can do per message.
//
// Runs in its own process (`zt-bench --serve-reference-worker ENDPOINT`) on the
// calling thread, which owns its one socket, until the process is killed.
#pragma once

#include <string>

namespace zerotask::bench {

[[noreturn]] void serve_reference_worker(const std::string& endpoint);

}  // namespace zerotask::bench

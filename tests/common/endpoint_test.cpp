// Endpoint strings (common/include/zerotask/endpoint.hpp): connectable forms of
// bind addresses and the event endpoint derived from the request endpoint.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "zerotask/endpoint.hpp"

using zerotask::connectable_endpoint;
using zerotask::default_event_endpoint;

TEST_CASE("a wildcard tcp bind address becomes a loopback address peers can connect to" * doctest::timeout(10)) {
  CHECK(connectable_endpoint("tcp://*:5555") == "tcp://127.0.0.1:5555");
  CHECK(connectable_endpoint("tcp://0.0.0.0:7000") == "tcp://127.0.0.1:7000");
}

TEST_CASE("an endpoint that is not a wildcard bind address is returned unchanged" * doctest::timeout(10)) {
  for (std::string_view endpoint :
       {"tcp://127.0.0.1:5555", "tcp://192.168.1.20:5555", "tcp://broker.example:5555", "tcp://[::1]:5555",
        "ipc:///tmp/zerotask.sock", "inproc://broker", "", "tcp://*", "udp://*:5555"}) {
    CAPTURE(endpoint);
    CHECK(connectable_endpoint(endpoint) == std::string(endpoint));
  }
}

TEST_CASE("the default event endpoint of a tcp endpoint is the next port on the same host" * doctest::timeout(10)) {
  CHECK(default_event_endpoint("tcp://*:5555") == std::optional<std::string>("tcp://*:5556"));
  CHECK(default_event_endpoint("tcp://127.0.0.1:5555") == std::optional<std::string>("tcp://127.0.0.1:5556"));
  CHECK(default_event_endpoint("tcp://0.0.0.0:1") == std::optional<std::string>("tcp://0.0.0.0:2"));
  CHECK(default_event_endpoint("tcp://host.example:65534") == std::optional<std::string>("tcp://host.example:65535"));
  CHECK(default_event_endpoint("tcp://[::1]:6000") == std::optional<std::string>("tcp://[::1]:6001"));
}

TEST_CASE("the default event endpoint of an ipc or inproc endpoint appends .events" * doctest::timeout(10)) {
  CHECK(default_event_endpoint("ipc:///tmp/zt.sock") == std::optional<std::string>("ipc:///tmp/zt.sock.events"));
  CHECK(default_event_endpoint("inproc://broker") == std::optional<std::string>("inproc://broker.events"));
}

TEST_CASE("a tcp endpoint without a usable port has no default event endpoint" * doctest::timeout(10)) {
  for (std::string_view endpoint : {"tcp://host", "tcp://host:", "tcp://host:abc", "tcp://host:55x", "tcp://host:0",
                                    "tcp://host:65535", "tcp://host:70000", "tcp://host:-1", "tcp://host:+5",
                                    "tcp://host:99999999999999999999", "tcp://[::1]", "tcp://*:*", "tcp://"}) {
    CAPTURE(endpoint);
    CHECK_FALSE(default_event_endpoint(endpoint).has_value());
  }
}

TEST_CASE("only loopback, ipc and inproc endpoints count as local") {
  for (const char* local : {"tcp://127.0.0.1:5555", "tcp://127.1.2.3:5555", "tcp://localhost:5555", "tcp://[::1]:5555",
                            "ipc:///tmp/zerotask.sock", "inproc://broker"}) {
    CAPTURE(local);
    CHECK(zerotask::is_local_endpoint(local));
  }
  for (const char* reachable :
       {"tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://10.0.0.5:5555", "tcp://eth0:5555", "tcp://127.0.0.1.evil.com:5555",
        "tcp://127.0.0.256:5555", "tcp://[::]:5555", "tcp://127.0.0.1", "udp://127.0.0.1:5555", ""}) {
    CAPTURE(reachable);
    CHECK_FALSE(zerotask::is_local_endpoint(reachable));
  }
  CHECK(zerotask::is_loopback_host("127.0.0.1"));
  CHECK_FALSE(zerotask::is_loopback_host("0.0.0.0"));
  CHECK_FALSE(zerotask::is_loopback_host("127.0.0"));
}

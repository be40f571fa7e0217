// The address of `broker --http`: HOST:PORT, and what is refused.
#include <doctest/doctest.h>

#include "http/http_address.hpp"

using namespace zerotask::broker;

TEST_CASE("an HTTP address is a host and a port" * doctest::timeout(10)) {
  auto local = parse_http_address("127.0.0.1:8080");
  REQUIRE(local);
  CHECK(local->host == "127.0.0.1");
  CHECK(local->port == 8080);
  auto every = parse_http_address("*:80");
  REQUIRE(every);
  CHECK(every->host == "0.0.0.0");
  auto named = parse_http_address("localhost:65535");
  REQUIRE(named);
  CHECK(named->host == "localhost");
  CHECK(named->port == 65535);
  auto v6 = parse_http_address("[::1]:9000");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
}

TEST_CASE("an HTTP address without a valid port or host is refused" * doctest::timeout(10)) {
  for (const char* bad : {"8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80x", ":8080",
                          "host name:80", "[::1:80", "[]:80", "[x]:80", "http://127.0.0.1:80"}) {
    INFO(bad);
    CHECK_FALSE(parse_http_address(bad).has_value());
  }
}

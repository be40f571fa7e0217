// The callback_url of a task: what is taken, how it is split for the HTTP client,
// and the reason given for what is refused.
#include <doctest/doctest.h>

#include <string>

#include "webhook_url.hpp"

using namespace zerotask::broker;

namespace {

std::string url_refusal(const std::string& url) {
  std::string why;
  if (parse_webhook_url(url, &why)) return "";
  return why;
}

}  // namespace

TEST_CASE("an http URL splits into the origin and the target, path and query" * doctest::timeout(10)) {
  auto url = parse_webhook_url("http://hooks.example:8080/tasks/done?from=zerotask#top");
  REQUIRE(url);
  CHECK(url->origin == "http://hooks.example:8080");
  CHECK(url->target == "/tasks/done?from=zerotask");
  auto bare = parse_webhook_url("HTTP://127.0.0.1");
  REQUIRE(bare);
  CHECK(bare->origin == "http://127.0.0.1");
  CHECK(bare->target == "/");
  auto query = parse_webhook_url("http://h?x=1");
  REQUIRE(query);
  CHECK(query->target == "/?x=1");
  auto v6 = parse_webhook_url("http://[::1]:9000/hook");
  REQUIRE(v6);
  CHECK(v6->origin == "http://[::1]:9000");
}

TEST_CASE("a URL that is not plain http is refused with the reason" * doctest::timeout(10)) {
  CHECK(url_refusal("https://hooks.example/") == "must start with http:// (https is not supported)");
  CHECK(url_refusal("ftp://hooks.example/") == "must start with http:// (https is not supported)");
  CHECK(url_refusal("hooks.example/done") == "must start with http:// (https is not supported)");
  CHECK(url_refusal("http:///done") == "has no host");
  CHECK(url_refusal("http://user:secret@hooks.example/") == "must not carry a user name or password");
  CHECK(url_refusal("http://hooks.example:0/") == "has a port that is not a number from 1 to 65535");
  CHECK(url_refusal("http://hooks.example:65536/") == "has a port that is not a number from 1 to 65535");
  CHECK(url_refusal("http://hooks.example:80a/") == "has a port that is not a number from 1 to 65535");
  CHECK(url_refusal("http://hooks.example:/") == "has an empty port");
  CHECK(url_refusal("http://hooks example/") == "must be printable ASCII without spaces (percent-encode the rest)");
  CHECK(url_refusal("http://h\xc3\xa9.example/") == "must be printable ASCII without spaces (percent-encode the rest)");
  CHECK(url_refusal("http://[zz]/") == "has a malformed IPv6 address");
  CHECK(url_refusal("http://ho$t/") == "has a malformed host");
  CHECK(url_refusal("http://h/" + std::string(2048, 'a')) == "is longer than 2048 bytes");
}

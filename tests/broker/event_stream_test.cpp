// The broker's events as Server-Sent Events: the text of one event, and a stream
// reading a publisher's events for one prefix.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "http/event_stream.hpp"
#include "test_support.hpp"
#include "zerotask/json_rpc.hpp"

using namespace zerotask;
using namespace zerotask::broker;
using namespace std::chrono_literals;

TEST_CASE("an event becomes an SSE event named after its topic's first segment, with the topic in its data" *
          doctest::timeout(10)) {
  auto text = format_sse_event("task.0000000000000001", R"({"id":"0000000000000001","state":"QUEUED","attempt":0})");
  REQUIRE(text);
  CHECK(*text ==
        "event: task\ndata: {\"attempt\":0,\"id\":\"0000000000000001\",\"state\":\"QUEUED\","
        "\"topic\":\"task.0000000000000001\"}\n\n");
  auto broker = format_sse_event("broker", R"({"event":"heartbeat","note":"a\nb"})");
  REQUIRE(broker);
  CHECK(broker->starts_with("event: broker\ndata: {"));
  CHECK(broker->find("a\\nb") != std::string::npos);  // a line feed stays escaped: one data line
  CHECK_FALSE(format_sse_event("task.x", "[1,2]").has_value());
  CHECK_FALSE(format_sse_event("task.x", "not json").has_value());
}

TEST_CASE("a stream passes on the events of its prefix and ends once stopping" * doctest::timeout(20)) {
  zmq::context_t context;
  zmq::socket_t publisher(context, zmq::socket_type::xpub);
  publisher.bind("inproc://events-under-test");
  std::atomic<bool> stopping{false};
  EventStream stream(context, "inproc://events-under-test", "task.0000000000000001", stopping);
  // The subscription reaches the publisher first.
  zmq::message_t subscription;
  REQUIRE(publisher.recv(subscription, zmq::recv_flags::none));
  CHECK(subscription.to_string() ==
        "\x01"
        "task.0000000000000001");
  auto publish = [&](const std::string& topic, const std::string& body) {
    publisher.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    publisher.send(zmq::buffer(body), zmq::send_flags::none);
  };
  publish("task.0000000000000002", R"({"id":"0000000000000002"})");
  publish("task.0000000000000001", R"({"id":"0000000000000001","state":"RUNNING"})");
  std::string out;
  CHECK(zerotask::testing::wait_until([&] {
    stream.pump(out, 50ms);
    return !out.empty();
  }));
  CHECK(out.find("0000000000000002") == std::string::npos);
  CHECK(out.starts_with("event: task\ndata: {\"id\":\"0000000000000001\",\"state\":\"RUNNING\""));
  // Stopping: what arrived still goes out, then the stream ends.
  publish("task.0000000000000001", R"({"id":"0000000000000001","state":"SUCCEEDED"})");
  std::this_thread::sleep_for(50ms);
  stopping = true;
  out.clear();
  CHECK_FALSE(stream.pump(out, 1000ms));
  CHECK(out.find("SUCCEEDED") != std::string::npos);
}

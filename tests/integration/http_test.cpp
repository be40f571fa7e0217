// The broker's HTTP interface (docs/HTTP.md) through the real broker and node
// executables: health, metrics after tasks ran, the REST way to tasks with its
// errors, the overview, the dashboard's files and Server-Sent Events.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <future>
#include <thread>

#include "http_fixture.hpp"

using namespace zerotask::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

// Sends `request` as it is over a new connection and returns what arrives until
// the server closes or `timeout` passes.
std::string raw_exchange(int port, const std::string& request, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval wait{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string received;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) received.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return received;
}

}  // namespace

TEST_CASE("healthz answers ok while the broker's loop answers" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  CHECK(json_of(system.get("/healthz"), 200) == json{{"status", "ok"}});
}

TEST_CASE("metrics show the tasks, counters, run times and nodes after tasks ran" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  system.start_node("n1", 2);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(json_of(system.post("/tasks", R"({"function": "add", "params": [1, 2]})"), 201)["id"]);
  }
  json failing = json_of(system.post("/tasks", R"({"function": "fail", "params": ["boom"], "max_retries": 0})"), 201);
  for (const auto& id : ids) CHECK(system.final_task(id)["result"] == 3);
  CHECK(system.final_task(failing["id"])["state"] == "FAILED");
  auto res = system.get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4");
  const std::string& text = res->body;
  INFO(text);
  CHECK(has_line(text, "# TYPE zerotask_tasks gauge"));
  CHECK(has_line(text, "zerotask_tasks{function=\"add\",state=\"SUCCEEDED\"} 3"));
  CHECK(has_line(text, "zerotask_tasks{function=\"fail\",state=\"FAILED\"} 1"));
  CHECK(has_line(text, "zerotask_tasks_submitted_total 4"));
  CHECK(has_line(text, "zerotask_tasks_succeeded_total 3"));
  CHECK(has_line(text, "zerotask_tasks_failed_total 1"));
  CHECK(has_line(text, "zerotask_task_run_seconds_count 4"));
  CHECK(has_line(text, "zerotask_task_run_seconds_bucket{le=\"+Inf\"} 4"));
  CHECK(has_line(text, "zerotask_queue_depth{queue=\"default\"} 0"));
  CHECK(has_line(text, "zerotask_nodes 1"));
  CHECK(has_line(text, "zerotask_slots 2"));
  CHECK(has_line(text, "zerotask_free_slots 2"));
  CHECK(has_line(text, "zerotask_store_tasks{store=\"memory\"} 4"));
}

TEST_CASE("a task is submitted, read, cancelled and retried over REST" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  system.start_node("n1", 2);
  json made = json_of(system.post("/tasks", R"({"function": "multiply", "params": [6, 7], "priority": 3})"), 201);
  CHECK(made["state"] == "QUEUED");
  json task = system.final_task(made["id"]);
  CHECK(task["result"] == 42);
  CHECK(task["priority"] == 3);
  CHECK(json_of(system.get("/tasks/" + made["id"].get<std::string>()), 200)["id"] == made["id"]);

  // A task not due yet is cancelled at once; cancelling it again is a conflict.
  json later = json_of(system.post("/tasks", R"({"function": "add", "params": [1, 1], "countdown_ms": 60000})"), 201);
  CHECK(later["state"] == "PENDING");
  std::string later_path = "/tasks/" + later["id"].get<std::string>();
  CHECK(json_of(system.del(later_path), 200)["state"] == "CANCELLED");
  json again = json_of(system.del(later_path), 409);
  CHECK(again["error"]["code"] == -32007);

  // A failed task is retried; a task that did not fail cannot be.
  json failing = json_of(system.post("/tasks", R"({"function": "fail", "params": ["boom"], "max_retries": 0})"), 201);
  std::string failing_id = failing["id"];
  CHECK(system.final_task(failing_id)["state"] == "FAILED");
  json retried = json_of(system.post("/tasks/" + failing_id + "/retry", ""), 200);
  CHECK(retried["id"] == failing_id);
  CHECK((retried["state"] == "QUEUED" || retried["state"] == "RUNNING"));
  CHECK(json_of(system.post(later_path + "/retry", ""), 409)["error"]["code"] == -32011);

  // Listing, with filters.
  json listed = json_of(system.get("/tasks?function=multiply&state=SUCCEEDED&limit=10"), 200);
  CHECK(listed["total"] == 1);
  CHECK(listed["tasks"][0]["id"] == made["id"]);
  CHECK(json_of(system.get("/tasks?limit=2&offset=0"), 200)["tasks"].size() == 2);
}

TEST_CASE("bad input is answered 400, unknown ids and paths 404, each with a JSON error" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  json not_json = json_of(system.post("/tasks", "{\"function\": "), 400);
  CHECK(not_json["error"] == json{{"code", -32700}, {"message", "the body is not JSON"}});
  CHECK(json_of(system.post("/tasks", "[1, 2]"), 400)["error"]["code"] == -32602);
  json no_function = json_of(system.post("/tasks", R"({"params": [1]})"), 400);
  CHECK(no_function["error"]["code"] == -32602);
  CHECK(no_function["error"]["message"].get<std::string>().find("function") != std::string::npos);
  CHECK(json_of(system.post("/tasks", R"({"function": "add", "priority": 12})"), 400)["error"]["code"] == -32602);
  CHECK(json_of(system.post("/tasks", R"({"function": "add", "wait": true})"), 400)["error"]["code"] == -32602);
  json bad_hook = json_of(system.post("/tasks", R"({"function": "add", "callback_url": "https://x.example/"})"), 400);
  CHECK(bad_hook["error"]["message"] == "callback_url must start with http:// (https is not supported)");
  CHECK(json_of(system.post("/tasks", std::string(100, '[') + std::string(100, ']')), 400)["error"]["code"] == -32700);
  CHECK(json_of(system.get("/tasks?limit=ten"), 400)["error"]["message"] == "limit must be an integer");
  CHECK(json_of(system.get("/tasks?state=DONE"), 400)["error"]["code"] == -32602);

  json unknown = json_of(system.get("/tasks/00000000000000ff"), 404);
  CHECK(unknown["error"] == json{{"code", -32004}, {"message", "no task 00000000000000ff"}});
  CHECK(json_of(system.del("/tasks/00000000000000ff"), 404)["error"]["code"] == -32004);
  CHECK(json_of(system.post("/tasks/00000000000000ff/retry", ""), 404)["error"]["code"] == -32004);
  CHECK(json_of(system.get("/tasks/not-an-id"), 404)["error"]["code"] == 0);
  CHECK(json_of(system.get("/nowhere"), 404)["error"]["message"] == "no such path: GET /nowhere");
  CHECK(json_of(system.get("/events?task=xyz"), 400)["error"]["code"] == -32602);
}

TEST_CASE("a POST or DELETE without Content-Length has no body and is answered at once" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  // httplib's read timeout is 5 s: an answer within 3 s did not wait for a body.
  for (std::string line : {"POST /tasks/00000000000000ff/retry", "DELETE /tasks/00000000000000ff", "POST /nowhere"}) {
    INFO(line);
    std::string answer = raw_exchange(system.http_port, line + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3s);
    CHECK(answer.starts_with("HTTP/1.1 404 "));
  }
  std::string submit = raw_exchange(system.http_port, "POST /tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3s);
  CHECK(submit.starts_with("HTTP/1.1 400 "));
  CHECK(submit.find("the body is not JSON") != std::string::npos);
}

TEST_CASE("a change of tasks from a page of another origin is refused 403, from this origin accepted" *
          doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  std::string body = R"({"function": "add", "params": [1, 2]})";
  httplib::Client client = system.client();
  httplib::Headers foreign = {{"Origin", "http://evil.example"}};
  json refused = json_of(client.Post("/tasks", foreign, body, "text/plain"), 403);
  CHECK(refused["error"]["message"] == "a POST from the page of another origin is refused");
  CHECK(json_of(client.Delete("/tasks/00000000000000ff", foreign), 403)["error"]["code"] == 0);
  httplib::Headers own = {{"Origin", "http://127.0.0.1:" + std::to_string(system.http_port)}};
  CHECK(json_of(client.Post("/tasks", own, body, "application/json"), 201).contains("id"));
  CHECK(json_of(client.Get("/tasks/00000000000000ff", foreign), 404)["error"]["code"] == -32004);
}

TEST_CASE("the overview holds stats, nodes, functions and queues" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  system.start_node("n1", 3);
  json_of(system.post("/tasks", R"({"function": "nobody-serves-this", "queue": "later"})"), 201);
  json overview = json_of(system.get("/api/overview"), 200);
  INFO(overview.dump());
  CHECK(overview["stats"]["submitted"] == 1);
  CHECK(overview["stats"]["store"] == "memory");
  REQUIRE(overview["nodes"]["nodes"].size() == 1);
  CHECK(overview["nodes"]["nodes"][0]["name"] == "n1");
  CHECK(overview["nodes"]["nodes"][0]["slots"] == 3);
  CHECK(overview["functions"]["functions"].size() >= 2);
  bool found = false;
  for (const auto& queue : overview["queues"]) {
    if (queue["queue"] != "later") continue;
    found = true;
    CHECK(queue["depth"] == 1);
    CHECK(queue["oldest_age_ms"].is_number_integer());
  }
  CHECK(found);
}

TEST_CASE("the dashboard page is served at / and unknown files are 404" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  auto page = system.get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(page->body.find("<html") != std::string::npos);
  CHECK(json_of(system.get("/static/no-such-file.js"), 404)["error"]["message"] ==
        "the dashboard has no file no-such-file.js");
}

TEST_CASE("an event stream of one task receives its changes of state in order" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  system.start_node("n1", 1);
  // Due in 1.5 s: the stream is open before it is queued.
  json made = json_of(system.post("/tasks", R"({"function": "add", "params": [20, 22], "countdown_ms": 1500})"), 201);
  std::string id = made["id"];
  std::string received;
  std::string content_type;
  httplib::Client client = system.client();
  auto res = client.Get(
      "/events?task=" + id,
      [&](const httplib::Response& response) {
        content_type = response.get_header_value("Content-Type");
        return true;
      },
      [&](const char* data, std::size_t length) {
        received.append(data, length);
        return received.find("SUCCEEDED") == std::string::npos;
      });
  INFO(received);
  CHECK(content_type == "text/event-stream");
  auto at = [&](const std::string& text) { return received.find(text); };
  REQUIRE(at("\"state\":\"SUCCEEDED\"") != std::string::npos);
  CHECK(at("event: task\ndata: {") == 0);
  CHECK(at("\"state\":\"QUEUED\"") < at("\"state\":\"RUNNING\""));
  CHECK(at("\"state\":\"RUNNING\"") < at("\"state\":\"SUCCEEDED\""));
  CHECK(at("\"result\":42") != std::string::npos);
  CHECK(at("\"topic\":\"task." + id + "\"") != std::string::npos);
  CHECK(at("event: broker") == std::string::npos);
}

TEST_CASE("the stream of every event carries the broker's heartbeats" * doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  std::string received;
  auto res = system.client().Get("/events", [&](const char* data, std::size_t length) {
    received.append(data, length);
    return received.find("\"event\":\"heartbeat\"") == std::string::npos;
  });
  INFO(received);
  CHECK(received.starts_with("event: broker\ndata: {"));
  CHECK(received.find("\"topic\":\"broker\"") != std::string::npos);
}

TEST_CASE("an event stream ends with the stopping event and its last chunk when the broker stops" *
          doctest::timeout(60)) {
  HttpSystem system;
  system.start_http_broker();
  auto stream = std::async(std::launch::async, [&] {
    return raw_exchange(system.http_port, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n", 10s);
  });
  // Time for the stream to open: it is answered at once.
  std::this_thread::sleep_for(500ms);
  system.broker->signal(SIGTERM);
  CHECK(system.broker->wait(10s) == 0);
  std::string received = stream.get();
  INFO(received);
  CHECK(received.find("\"event\":\"stopping\"") != std::string::npos);
  CHECK(received.ends_with("\r\n0\r\n\r\n"));
}

TEST_CASE("a malformed or taken --http address stops the broker at start with status 1" * doctest::timeout(60)) {
  auto refused = run_command(bin_dir() + "/broker", {"--store", "memory", "--http", "localhost"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.output.find("--http must be HOST:PORT") != std::string::npos);

  HttpSystem system;
  system.start_http_broker();
  auto taken = run_command(bin_dir() + "/broker", {"--store", "memory", "--endpoint", free_tcp_endpoint(), "--http",
                                                   "127.0.0.1:" + std::to_string(system.http_port)});
  INFO(taken.output);
  CHECK(taken.exit_code == 1);
  CHECK(taken.output.find("cannot serve HTTP on 127.0.0.1:" + std::to_string(system.http_port)) != std::string::npos);
}

#include "http/http_gateway.hpp"

#include <httplib.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "http/event_stream.hpp"
#include "http/loop_client.hpp"
#include "http/prometheus.hpp"
#include "http/rest_errors.hpp"
#include "http/web_assets.hpp"
#include "zerotask/log.hpp"
#include "zerotask/task_id.hpp"

namespace zerotask::broker {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kJson = "application/json";
// Event streams hold a thread each for as long as they are open; the rest of the
// pool serves everything else.
constexpr int kMaxEventStreams = 32;
constexpr std::size_t kThreads = kMaxEventStreams + 16;
constexpr std::chrono::milliseconds kHealthTimeout{1000};
constexpr std::chrono::milliseconds kEventWait{250};
// How long a stopping broker gives its event streams to end on their own.
constexpr std::chrono::milliseconds kStreamsEndWait{1000};

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(rpc::to_text(body), std::string(kJson));
}

void reply_error(httplib::Response& res, int code, std::string_view message) {
  reply(res, http_status_of(code), error_body(code, message));
}

void reply_unavailable(httplib::Response& res) {
  reply(res, 503, error_body(0, "the broker did not answer in time"));
}

// The result of a JSON-RPC response with `status`, or its error with the error's status.
void reply_response(httplib::Response& res, const json& response, int status) {
  if (auto result = response.find("result"); result != response.end()) {
    reply(res, status, *result);
    return;
  }
  auto error = rpc::parse_error_object(response.value("error", json()));
  if (!error) {
    reply(res, 500, error_body(rpc::kInternalError, "the broker sent a malformed response"));
    return;
  }
  reply(res, http_status_of(error->code), error_body(error->code, error->message, error->data));
}

std::string_view content_type_of(std::string_view name) {
  auto dot = name.rfind('.');
  std::string_view extension = dot == std::string_view::npos ? "" : name.substr(dot + 1);
  if (extension == "html") return "text/html; charset=utf-8";
  if (extension == "js") return "text/javascript; charset=utf-8";
  if (extension == "css") return "text/css; charset=utf-8";
  if (extension == "svg") return "image/svg+xml";
  if (extension == "png") return "image/png";
  if (extension == "ico") return "image/x-icon";
  if (extension == "json") return "application/json";
  return "application/octet-stream";
}

// An integer query parameter; nullopt (and a 400 sent) when it is not one.
std::optional<std::int64_t> integer_param(const httplib::Request& req, httplib::Response& res, const char* name) {
  std::string text = req.get_param_value(name);
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    reply_error(res, rpc::kInvalidParams, std::string(name) + " must be an integer");
    return std::nullopt;
  }
  return value;
}

}  // namespace

class HttpGateway::Impl {
 public:
  Impl(zmq::context_t& context, HttpGatewayOptions options)
      : context_(context), options_(std::move(options)), loop_(context, options_.request_endpoint) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
    server_.set_payload_max_length(static_cast<std::size_t>(options_.max_message_bytes));
    // httplib's default also sets SO_REUSEPORT, which would let a second broker
    // listen on the same port and take half the requests: address reuse only (a
    // restarted broker binds at once), so a port in use is an error at start.
    server_.set_socket_options([](socket_t socket) {
      int yes = 1;
      setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // An idle kept-alive connection holds a pool thread, and delays stopping, this long.
    server_.set_keep_alive_timeout(1);
    route();
    const HttpAddress& address = options_.address;
    if (!server_.bind_to_port(address.host, address.port)) {
      int error = errno;
      throw std::runtime_error("cannot serve HTTP on " + address.host + ":" + std::to_string(address.port) +
                               (error != 0 ? std::string(": ") + std::strerror(error) : std::string()));
    }
    listener_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib's stop() does nothing until the listener thread is listening: a broker
    // stopped at once would otherwise wait in join() for ever.
    for (int waited_ms = 0; !server_.is_running() && waited_ms < 5000; waited_ms += 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    log(LogLevel::Info, "http", "serving HTTP on " + address.host + ":" + std::to_string(address.port));
  }

  ~Impl() {
    stopping_.store(true);
    // Each open stream sees stopping_ within kEventWait, sends what it still got and
    // its last chunk; one cut by server_.stop() would end without that chunk.
    const auto give_up = std::chrono::steady_clock::now() + kStreamsEndWait;
    while (streams_.load() > 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    loop_.stop();
    server_.stop();
    if (listener_.joinable()) listener_.join();
  }

 private:
  void route();
  // Calls `method` and answers with its result (status `status`) or its error.
  void forward(httplib::Response& res, std::string_view method, const json& params, int status = 200) {
    auto response = loop_.call(method, params, options_.request_timeout);
    if (!response || !response->is_object()) {
      reply_unavailable(res);
      return;
    }
    reply_response(res, *response, status);
  }
  void serve_asset(std::string_view name, httplib::Response& res);
  void health(httplib::Response& res);
  void metrics(httplib::Response& res);
  void overview(httplib::Response& res);
  void list_tasks(const httplib::Request& req, httplib::Response& res);
  void submit(const httplib::Request& req, httplib::Response& res);
  void events(const httplib::Request& req, httplib::Response& res);

  zmq::context_t& context_;
  HttpGatewayOptions options_;
  LoopClient loop_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> streams_{0};
  httplib::Server server_;
  std::thread listener_;
};

void HttpGateway::Impl::route() {
  // A web page on another site may send the operator's browser here (a "simple"
  // cross-origin POST or DELETE needs no permission): what changes tasks must come
  // from a page of this server, or from a client that sends no Origin (curl, scripts).
  server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    // A request with neither Content-Length nor Transfer-Encoding has no body (RFC
    // 9112, 6.3), as `curl -X POST` and `curl -X DELETE` send it; httplib 0.11 reads
    // one until its read timeout and then answers 400. It is told the length. The
    // request is httplib's own object, not a constant.
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
    }
    if (req.method == "GET" || req.method == "HEAD" || !req.has_header("Origin")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (req.get_header_value("Origin") == "http://" + req.get_header_value("Host")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    reply(res, 403, error_body(0, "a " + req.method + " from the page of another origin is refused"));
    return httplib::Server::HandlerResponse::Handled;
  });
  server_.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) { health(res); });
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { metrics(res); });
  server_.Get("/", [this](const httplib::Request&, httplib::Response& res) { serve_asset("index.html", res); });
  server_.Get(R"(/static/([^/]+))",
              [this](const httplib::Request& req, httplib::Response& res) { serve_asset(req.matches[1].str(), res); });
  server_.Get("/api/overview", [this](const httplib::Request&, httplib::Response& res) { overview(res); });
  server_.Get("/tasks", [this](const httplib::Request& req, httplib::Response& res) { list_tasks(req, res); });
  server_.Post("/tasks", [this](const httplib::Request& req, httplib::Response& res) { submit(req, res); });
  server_.Get(R"(/tasks/([0-9a-f]{16}))", [this](const httplib::Request& req, httplib::Response& res) {
    forward(res, "task.get", json{{"id", req.matches[1].str()}});
  });
  server_.Delete(R"(/tasks/([0-9a-f]{16}))", [this](const httplib::Request& req, httplib::Response& res) {
    forward(res, "task.cancel", json{{"id", req.matches[1].str()}});
  });
  server_.Post(R"(/tasks/([0-9a-f]{16})/retry)", [this](const httplib::Request& req, httplib::Response& res) {
    forward(res, "task.retry", json{{"id", req.matches[1].str()}});
  });
  server_.Get("/events", [this](const httplib::Request& req, httplib::Response& res) { events(req, res); });

  // Every error gets a JSON body: httplib's own (no route, a body too large) too.
  server_.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = res.status == 404   ? "no such path: " + req.method + " " + req.path
                              : res.status == 413 ? "the body is larger than the broker's --max-message-bytes"
                                                  : "HTTP error " + std::to_string(res.status);
        reply(res, res.status, error_body(0, message));
        return httplib::Server::HandlerResponse::Handled;
      }));
  server_.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
    std::string what = "an unknown exception";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& caught) {
      what = caught.what();
    } catch (...) {
    }
    log(LogLevel::Error, "http", "internal error in " + req.method + " " + req.path + ": " + what);
    reply(res, 500, error_body(rpc::kInternalError, what));
  });
}

void HttpGateway::Impl::serve_asset(std::string_view name, httplib::Response& res) {
  const WebAsset* asset = find_web_asset(name);
  if (!asset) {
    reply(res, 404, error_body(0, "the dashboard has no file " + std::string(name)));
    return;
  }
  res.set_content(asset->content.data(), asset->content.size(), std::string(content_type_of(name)));
}

void HttpGateway::Impl::health(httplib::Response& res) {
  auto response = loop_.call("broker.ping", nullptr, kHealthTimeout);
  bool ok = response && response->is_object() && response->contains("result");
  reply(res, ok ? 200 : 503, json{{"status", ok ? "ok" : "unavailable"}});
}

void HttpGateway::Impl::metrics(httplib::Response& res) {
  auto response = loop_.call("broker.metrics", nullptr, options_.request_timeout);
  if (!response || !response->is_object()) {
    reply_unavailable(res);
    return;
  }
  if (!response->contains("result")) {
    reply_response(res, *response, 200);
    return;
  }
  res.set_content(render_prometheus((*response)["result"]), std::string(kPrometheusContentType));
}

void HttpGateway::Impl::overview(httplib::Response& res) {
  // One batch: the four answers describe the same moment of the loop.
  const char* methods[] = {"broker.stats", "broker.nodes", "broker.functions", "broker.metrics"};
  json batch = json::array();
  for (int i = 0; i < 4; ++i) batch.push_back(json{{"jsonrpc", "2.0"}, {"id", i}, {"method", methods[i]}});
  auto responses = loop_.exchange(batch, options_.request_timeout);
  if (!responses || !responses->is_array()) {
    reply_unavailable(res);
    return;
  }
  json results[4];
  for (const auto& response : *responses) {
    auto id = response.value("id", json());
    if (!id.is_number_integer() || id.get<int>() < 0 || id.get<int>() > 3) continue;
    if (!response.contains("result")) {
      reply_response(res, response, 200);
      return;
    }
    results[id.get<int>()] = response["result"];
  }
  if (results[3].is_null()) {
    reply_unavailable(res);
    return;
  }
  reply(
      res, 200,
      json{{"stats", results[0]}, {"nodes", results[1]}, {"functions", results[2]}, {"queues", results[3]["queues"]}});
}

void HttpGateway::Impl::list_tasks(const httplib::Request& req, httplib::Response& res) {
  json params = json::object();
  for (const char* name : {"state", "function"}) {
    if (req.has_param(name)) params[name] = req.get_param_value(name);
  }
  for (const char* name : {"offset", "limit"}) {
    if (!req.has_param(name)) continue;
    auto value = integer_param(req, res, name);
    if (!value) return;
    params[name] = *value;
  }
  forward(res, "task.list", params);
}

void HttpGateway::Impl::submit(const httplib::Request& req, httplib::Response& res) {
  if (rpc::nesting_exceeds(req.body, options_.max_depth)) {
    reply_error(res, rpc::kParseError,
                "the body nests deeper than the broker's limit of " + std::to_string(options_.max_depth) + " levels");
    return;
  }
  json spec = json::parse(req.body, nullptr, false);
  if (spec.is_discarded()) {
    reply_error(res, rpc::kParseError, "the body is not JSON");
    return;
  }
  if (!spec.is_object()) {
    reply_error(res, rpc::kInvalidParams, "the body must be a JSON object: {\"function\": ..., \"params\": ...}");
    return;
  }
  if (auto wait = spec.find("wait"); wait != spec.end() && *wait == true) {
    reply_error(res, rpc::kInvalidParams,
                "wait is not taken over HTTP: follow the task with GET /tasks/{id} or /events");
    return;
  }
  forward(res, "task.submit", spec, 201);
}

void HttpGateway::Impl::events(const httplib::Request& req, httplib::Response& res) {
  std::string prefix;
  if (req.has_param("task")) {
    std::string id = req.get_param_value("task");
    if (!parse_task_id(id)) {
      reply_error(res, rpc::kInvalidParams, "task must be a task id (16 lowercase hex digits)");
      return;
    }
    prefix = "task." + id;
  }
  if (streams_.fetch_add(1) >= kMaxEventStreams) {
    streams_.fetch_sub(1);
    reply(res, 503,
          error_body(0, "too many event streams are open (at most " + std::to_string(kMaxEventStreams) + ")"));
    return;
  }
  std::shared_ptr<EventStream> stream;
  try {
    stream = std::make_shared<EventStream>(context_, options_.event_endpoint, prefix, stopping_);
  } catch (...) {
    streams_.fetch_sub(1);
    throw;
  }
  res.set_header("Cache-Control", "no-cache");
  // The connection ends with the stream, rather than waiting for another request.
  res.set_header("Connection", "close");
  res.set_chunked_content_provider(
      "text/event-stream",
      [stream](std::size_t, httplib::DataSink& sink) {
        std::string out;
        bool more = stream->pump(out, kEventWait);
        if (!out.empty() && !sink.write(out.data(), out.size())) return false;
        if (!more) sink.done();
        return true;
      },
      [this](bool) { streams_.fetch_sub(1); });
}

HttpGateway::HttpGateway(zmq::context_t& context, HttpGatewayOptions options)
    : impl_(std::make_unique<Impl>(context, std::move(options))) {}

HttpGateway::~HttpGateway() = default;

}  // namespace zerotask::broker

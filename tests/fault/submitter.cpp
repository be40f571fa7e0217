#include "submitter.hpp"

#include <algorithm>

#include "raw_peer.hpp"

namespace zerotask::fault {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Submitter::Submitter(zmq::context_t& context, SubmitterOptions options)
    : context_(context), options_(std::move(options)), thread_([this] { run(); }) {}

Submitter::~Submitter() {
  stop();
  join();
}

void Submitter::join() {
  if (thread_.joinable()) thread_.join();
}

void Submitter::run() {
  try {
    submit_all();
  } catch (const std::exception& error) {
    failure_ = error.what();
  }
  finished_ = true;
}

void Submitter::submit_all() {
  auto start = Clock::now();
  zerotask::testing::RawPeer peer(context_, options_.endpoint);
  std::map<int, Clock::time_point> in_flight;
  int next_key = 0;
  int next_id = 1;
  auto next_send = start;
  auto receive_all = [&](std::chrono::milliseconds wait) {
    auto body = peer.receive_text(wait);
    while (body) {
      auto reply = json::parse(*body, nullptr, false);
      if (!reply.is_discarded() && reply.is_object() && reply.contains("id") && reply["id"].is_number_integer()) {
        in_flight.erase(reply["id"].get<int>());
      }
      handle_reply(*body);
      body = peer.receive_text(std::chrono::milliseconds(0));
    }
  };
  while (!stop_ && next_key < options_.total) {
    auto now = Clock::now();
    std::erase_if(in_flight, [&](const auto& entry) { return now - entry.second > options_.reply_timeout; });
    if (static_cast<int>(in_flight.size()) < options_.window && now >= next_send) {
      int id = next_id++;
      std::vector<std::string> keys;
      json tasks = json::array();
      for (int i = 0; i < options_.batch && next_key < options_.total; ++i) {
        std::string key = options_.prefix + "-" + std::to_string(next_key++);
        tasks.push_back(json{{"function", "effect"}, {"params", {{"key", key}, {"ms", options_.effect_ms}}}});
        keys.push_back(key);
      }
      json request = {{"jsonrpc", "2.0"}, {"id", id}};
      if (options_.batch == 1) {
        request["method"] = "task.submit";
        request["params"] = tasks[0];
      } else {
        request["method"] = "task.submit_many";
        request["params"] = json{{"tasks", std::move(tasks)}};
      }
      peer.send(request);
      sent_.insert(keys.begin(), keys.end());
      requests_[id] = std::move(keys);
      in_flight[id] = now;
      next_send = now + options_.interval;
      receive_all(std::chrono::milliseconds(0));
      continue;
    }
    auto wait = std::chrono::milliseconds(5);
    if (static_cast<int>(in_flight.size()) < options_.window) {
      wait =
          std::clamp(std::chrono::ceil<std::chrono::milliseconds>(next_send - now), std::chrono::milliseconds(0), wait);
    }
    receive_all(wait);
  }
  // The last replies: however late an acknowledgement comes, it counts.
  auto deadline = Clock::now() + options_.final_wait;
  while (!requests_.empty() && Clock::now() < deadline) receive_all(std::chrono::milliseconds(20));
  unanswered_ = static_cast<int>(requests_.size());
  elapsed_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

void Submitter::handle_reply(const std::string& body) {
  auto reply = json::parse(body, nullptr, false);
  if (reply.is_discarded() || !reply.is_object() || !reply.contains("id") || !reply["id"].is_number_integer()) {
    ++malformed_replies_;
    return;
  }
  auto request = requests_.find(reply["id"].get<int>());
  if (request == requests_.end()) {
    ++malformed_replies_;  // a second reply to one request
    return;
  }
  std::vector<std::string> keys = std::move(request->second);
  requests_.erase(request);
  if (reply.contains("error")) {
    int code = reply["error"].value("code", 0);
    ++errors_by_code_[code];
    first_error_by_code_.emplace(code, reply["error"]);
    return;
  }
  const json& result = reply.contains("result") ? reply["result"] : json();
  std::vector<std::string> ids;
  if (options_.batch == 1 && result.is_object() && result.contains("id") && result["id"].is_string()) {
    ids.push_back(result["id"].get<std::string>());
  } else if (result.is_object() && result.contains("ids") && result["ids"].is_array()) {
    for (const auto& id : result["ids"]) ids.push_back(id.is_string() ? id.get<std::string>() : std::string());
  }
  if (ids.size() != keys.size()) {
    ++malformed_replies_;
    return;
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    acknowledged_.insert(keys[i]);
    task_of_key_[keys[i]] = ids[i];
  }
  acknowledged_count_ += static_cast<int>(keys.size());
}

}  // namespace zerotask::fault

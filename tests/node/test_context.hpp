// A TaskContext for calling functions directly in unit tests: it records progress
// and partial results and owns a stop source the test can fire. Single-threaded use
// only.
#pragma once

#include <stop_token>
#include <string>
#include <vector>

#include "zerotask/node.hpp"

namespace zerotask::testing {

class TestContext final : public TaskContext {
 public:
  using TaskContext::report_progress;

  const std::string& task_id() const override { return id_; }
  int attempt() const override { return 1; }
  void report_progress(json progress) override { progress_.push_back(std::move(progress)); }
  void report_partial(json partial) override { partials_.push_back(std::move(partial)); }
  std::stop_token stop_token() const override { return stop_.get_token(); }

  const std::vector<json>& progress() const { return progress_; }
  const std::vector<json>& partials() const { return partials_; }
  void request_stop() { stop_.request_stop(); }

 private:
  std::string id_ = "0000000000000001";
  std::vector<json> progress_;
  std::vector<json> partials_;
  std::stop_source stop_;
};

}  // namespace zerotask::testing

// Task states (common/include/zerotask/task_state.hpp): their wire names and which
// of them are final.
#include <doctest/doctest.h>

#include <string>

#include "zerotask/task_state.hpp"

using zerotask::TaskState;

TEST_CASE("every task state has its upper-case wire name and parses back from it" * doctest::timeout(10)) {
  struct Named {
    TaskState state;
    const char* name;
  };
  for (Named named : {Named{TaskState::Pending, "PENDING"}, Named{TaskState::Queued, "QUEUED"},
                      Named{TaskState::Running, "RUNNING"}, Named{TaskState::Succeeded, "SUCCEEDED"},
                      Named{TaskState::Failed, "FAILED"}, Named{TaskState::Cancelled, "CANCELLED"}}) {
    CAPTURE(named.name);
    CHECK(zerotask::to_string(named.state) == named.name);
    CHECK(zerotask::parse_task_state(named.name) == named.state);
  }
}

TEST_CASE("parse_task_state refuses names that are not exactly a state" * doctest::timeout(10)) {
  for (std::string_view name : {"", "queued", "Queued", "QUEUED ", "DONE", "RUN"}) {
    CAPTURE(name);
    CHECK_FALSE(zerotask::parse_task_state(name).has_value());
  }
}

TEST_CASE("only SUCCEEDED, FAILED and CANCELLED are final" * doctest::timeout(10)) {
  CHECK_FALSE(zerotask::is_final(TaskState::Pending));
  CHECK_FALSE(zerotask::is_final(TaskState::Queued));
  CHECK_FALSE(zerotask::is_final(TaskState::Running));
  CHECK(zerotask::is_final(TaskState::Succeeded));
  CHECK(zerotask::is_final(TaskState::Failed));
  CHECK(zerotask::is_final(TaskState::Cancelled));
  static_assert(zerotask::is_final(TaskState::Failed), "is_final is usable at compile time");
}

// cpu_affinity (common/include/zerotask/cpu_affinity.hpp): the CPUs a thread may
// run on, pinning it to one, and giving them back. Each pin happens on a thread of
// its own, so that it does not outlive the test.
#include <doctest/doctest.h>

#include <algorithm>
#include <system_error>
#include <thread>
#include <vector>

#include "zerotask/cpu_affinity.hpp"

TEST_CASE("allowed_cpus lists the CPUs the thread may run on, in increasing order" * doctest::timeout(10)) {
  std::vector<int> cpus = zerotask::allowed_cpus();
  REQUIRE_FALSE(cpus.empty());
  CHECK(std::is_sorted(cpus.begin(), cpus.end()));
  CHECK(std::adjacent_find(cpus.begin(), cpus.end()) == cpus.end());
}

TEST_CASE("pin_calling_thread leaves the thread one CPU, which its new threads inherit" * doctest::timeout(10)) {
  int last = zerotask::allowed_cpus().back();
  std::vector<int> pinned;
  std::vector<int> child;
  std::thread thread([&] {
    zerotask::pin_calling_thread(last);
    pinned = zerotask::allowed_cpus();
    std::thread([&] { child = zerotask::allowed_cpus(); }).join();
  });
  thread.join();
  CHECK(pinned == std::vector<int>{last});
  CHECK(child == std::vector<int>{last});
}

TEST_CASE("ScopedCpuPin pins for its scope and gives the thread back its CPUs after" * doctest::timeout(10)) {
  std::vector<int> before = zerotask::allowed_cpus();
  std::vector<int> inside;
  std::vector<int> after;
  std::thread thread([&] {
    {
      zerotask::ScopedCpuPin pin(before.front());
      inside = zerotask::allowed_cpus();
    }
    after = zerotask::allowed_cpus();
  });
  thread.join();
  CHECK(inside == std::vector<int>{before.front()});
  CHECK(after == before);
}

TEST_CASE("pin_calling_thread to a CPU the machine does not have throws" * doctest::timeout(10)) {
  bool threw = false;
  std::thread thread([&] {
    try {
      zerotask::pin_calling_thread(CPU_SETSIZE - 1);
    } catch (const std::system_error&) {
      threw = true;
    }
  });
  thread.join();
  CHECK(threw);
}

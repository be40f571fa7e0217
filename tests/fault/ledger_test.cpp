// The oracle of the fault suite, checked on hand-written ledgers.
#include <doctest/doctest.h>

#include "ledger.hpp"

using zerotask::fault::check_ledger;
using zerotask::fault::parse_ledger;

TEST_CASE("the ledger oracle parses lines and leaves out a torn last line" * doctest::timeout(10)) {
  auto ledger = parse_ledger("a 1 0000000000000001 n1\nb 2 0000000000000002 n2\nc 1 00000");
  REQUIRE(ledger.effects.size() == 2);
  CHECK(ledger.effects[0].key == "a");
  CHECK(ledger.effects[0].attempt == 1);
  CHECK(ledger.effects[0].task_id == "0000000000000001");
  CHECK(ledger.effects[0].node == "n1");
  CHECK(ledger.effects[1].attempt == 2);
  CHECK(ledger.torn_tail);
  CHECK(ledger.malformed == 0);
}

TEST_CASE("the ledger oracle counts interleaved or broken lines as malformed" * doctest::timeout(10)) {
  auto ledger = parse_ledger("a 1 t n\na 1 t\nx 0 t n\ny z t n\nb 1 t nb 1 t n\n\n");
  CHECK(ledger.effects.size() == 1);
  CHECK(ledger.malformed == 5);
  CHECK_FALSE(ledger.torn_tail);
  auto report = check_ledger(ledger, {"a"});
  CHECK(report.missing.empty());
  CHECK(report.malformed == 5);
  CHECK_FALSE(report.complete());
}

TEST_CASE("the ledger oracle reports lost, unknown and duplicated keys" * doctest::timeout(10)) {
  auto ledger = parse_ledger(
      "k1 1 t1 n1\n"
      "k2 1 t2 n1\n"
      "k2 2 t2 n2\n"  // redelivered after a lost lease: a duplicate, not a bug by itself
      "k3 1 t3 n1\n"
      "k3 1 t3 n2\n"  // the same lease token twice
      "k3 1 t9 n2\n"  // and a second task for the same key
      "stray 1 t4 n1\n");
  auto report = check_ledger(ledger, {"k1", "k2", "k3", "lost1", "lost2"},
                             std::set<std::string>{"k1", "k2", "k3", "lost1", "lost2", "sent-only"});
  CHECK(report.missing == std::vector<std::string>{"lost1", "lost2"});
  CHECK(report.unknown == std::vector<std::string>{"stray"});
  CHECK(report.duplicates == std::map<std::string, int>{{"k2", 1}, {"k3", 2}});
  CHECK(report.extra_effects() == 3);
  CHECK(report.repeated_tokens == std::map<std::string, int>{{"t3#1", 1}});
  CHECK(report.multi_task_keys == std::vector<std::string>{"k3"});
  CHECK(report.effects == 7);
  CHECK(report.distinct_keys == 4);
  CHECK_FALSE(report.complete());
  CHECK(report.summary().find("2 acknowledged missing lost1 lost2") != std::string::npos);
}

TEST_CASE("the ledger oracle accepts effects of keys sent but never acknowledged" * doctest::timeout(10)) {
  auto ledger = parse_ledger("acked 1 t1 n\nunacked 1 t2 n\n");
  auto with_sent = check_ledger(ledger, {"acked"}, std::set<std::string>{"acked", "unacked"});
  CHECK(with_sent.complete());
  CHECK(with_sent.unknown.empty());
  // Without the set of sent keys, anything unacknowledged is unknown.
  auto without_sent = check_ledger(ledger, {"acked"});
  CHECK(without_sent.unknown == std::vector<std::string>{"unacked"});
}

TEST_CASE("an empty ledger misses every acknowledged key" * doctest::timeout(10)) {
  auto report = check_ledger(parse_ledger(""), {"a", "b"});
  CHECK(report.missing.size() == 2);
  CHECK(report.effects == 0);
  CHECK(check_ledger(parse_ledger(""), {}).complete());
}

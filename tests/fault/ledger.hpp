// The fault suite's oracle. fault_node's `effect` appends one line per run to a
// ledger file, "<key> <attempt> <task id> <node name>"; after a scenario the test
// compares the ledger with what it submitted:
//   - missing: keys whose submission was acknowledged but that never took effect
//     (a lost task: the one thing at-least-once delivery must never do);
//   - unknown: keys in the ledger that were never submitted (or, when only the
//     acknowledged keys are known, never acknowledged);
//   - duplicates: keys that took effect more than once, by how many extra times
//     (allowed under at-least-once delivery, but reported); among them, repeats of
//     the same lease token (task id and attempt), which no redelivery explains, and
//     keys run under several task ids (one submission made two tasks).
// Pure functions over values; any thread.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace zerotask::fault {

// One line of the ledger.
struct Effect {
  std::string key;
  int attempt = 0;
  std::string task_id;
  std::string node;
};

struct Ledger {
  std::vector<Effect> effects;
  std::size_t malformed = 0;  // complete lines that do not parse (interleaved writes)
  bool torn_tail = false;     // the file ends inside a line (a write in progress)
};

// Parses ledger text; a last line without its newline is left out (torn_tail).
Ledger parse_ledger(const std::string& text);
// Reads and parses the file; a missing file is an empty ledger.
Ledger read_ledger(const std::string& path);

struct LedgerReport {
  std::vector<std::string> missing;            // sorted
  std::vector<std::string> unknown;            // sorted
  std::map<std::string, int> duplicates;       // key -> effects beyond the first
  std::map<std::string, int> repeated_tokens;  // "<task id>#<attempt>" -> effects beyond the first
  std::vector<std::string> multi_task_keys;    // keys run under more than one task id, sorted
  std::size_t effects = 0;
  std::size_t distinct_keys = 0;
  std::size_t malformed = 0;

  // Nothing acknowledged is lost and nothing unknown ran.
  bool complete() const { return missing.empty() && unknown.empty() && malformed == 0; }
  // Effects beyond the first, over all keys.
  int extra_effects() const;
  // A few lines for a test message: counts and the first few keys of each kind.
  std::string summary(std::size_t examples = 5) const;
};

// `acknowledged`: keys whose submission the broker acknowledged. `sent`: every key
// ever sent (acknowledged or not); without it, a key outside `acknowledged` counts
// as unknown.
LedgerReport check_ledger(const Ledger& ledger, const std::set<std::string>& acknowledged,
                          const std::optional<std::set<std::string>>& sent = std::nullopt);

// The effects of one key, in ledger order.
std::vector<Effect> effects_of(const Ledger& ledger, const std::string& key);

}  // namespace zerotask::fault

#include "ledger.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace zerotask::fault {
namespace {

std::optional<Effect> parse_line(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (start <= line.size()) {
    std::size_t space = line.find(' ', start);
    if (space == std::string_view::npos) space = line.size();
    fields.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  if (fields.size() != 4) return std::nullopt;
  for (auto field : fields) {
    if (field.empty()) return std::nullopt;
  }
  Effect effect;
  effect.key = std::string(fields[0]);
  auto [end, error] = std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), effect.attempt);
  if (error != std::errc() || end != fields[1].data() + fields[1].size() || effect.attempt < 1) return std::nullopt;
  effect.task_id = std::string(fields[2]);
  effect.node = std::string(fields[3]);
  return effect;
}

template <class Container>
std::string first_few(const Container& items, std::size_t examples) {
  std::string text;
  std::size_t shown = 0;
  for (const auto& item : items) {
    if (shown == examples) {
      text += " ...";
      break;
    }
    if constexpr (requires { item.first; }) {
      text += " " + item.first + " (+" + std::to_string(item.second) + ")";
    } else {
      text += " " + item;
    }
    ++shown;
  }
  return text;
}

}  // namespace

Ledger parse_ledger(const std::string& text) {
  Ledger ledger;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t newline = text.find('\n', start);
    if (newline == std::string::npos) {
      ledger.torn_tail = true;
      break;
    }
    std::string_view line(text.data() + start, newline - start);
    start = newline + 1;
    if (auto effect = parse_line(line)) {
      ledger.effects.push_back(std::move(*effect));
    } else {
      ++ledger.malformed;
    }
  }
  return ledger;
}

Ledger read_ledger(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return {};
  std::ostringstream text;
  text << file.rdbuf();
  return parse_ledger(text.str());
}

int LedgerReport::extra_effects() const {
  int total = 0;
  for (const auto& [key, extra] : duplicates) total += extra;
  return total;
}

std::string LedgerReport::summary(std::size_t examples) const {
  std::ostringstream text;
  text << effects << " effects of " << distinct_keys << " keys; " << missing.size() << " acknowledged missing"
       << first_few(missing, examples) << "; " << unknown.size() << " never submitted" << first_few(unknown, examples)
       << "; " << duplicates.size() << " duplicated (" << extra_effects() << " extra)"
       << first_few(duplicates, examples) << "; " << repeated_tokens.size() << " lease tokens run twice"
       << first_few(repeated_tokens, examples) << "; " << multi_task_keys.size() << " keys under several task ids"
       << first_few(multi_task_keys, examples) << "; " << malformed << " malformed lines";
  return text.str();
}

LedgerReport check_ledger(const Ledger& ledger, const std::set<std::string>& acknowledged,
                          const std::optional<std::set<std::string>>& sent) {
  LedgerReport report;
  report.effects = ledger.effects.size();
  report.malformed = ledger.malformed;
  std::map<std::string, int> count_by_key;
  std::map<std::string, int> count_by_token;
  std::map<std::string, std::set<std::string>> tasks_by_key;
  for (const auto& effect : ledger.effects) {
    ++count_by_key[effect.key];
    ++count_by_token[effect.task_id + "#" + std::to_string(effect.attempt)];
    tasks_by_key[effect.key].insert(effect.task_id);
  }
  report.distinct_keys = count_by_key.size();
  for (const auto& key : acknowledged) {
    if (!count_by_key.contains(key)) report.missing.push_back(key);
  }
  const std::set<std::string>& known = sent ? *sent : acknowledged;
  for (const auto& [key, count] : count_by_key) {
    if (!known.contains(key)) report.unknown.push_back(key);
    if (count > 1) report.duplicates[key] = count - 1;
  }
  for (const auto& [token, count] : count_by_token) {
    if (count > 1) report.repeated_tokens[token] = count - 1;
  }
  for (const auto& [key, tasks] : tasks_by_key) {
    if (tasks.size() > 1) report.multi_task_keys.push_back(key);
  }
  return report;
}

std::vector<Effect> effects_of(const Ledger& ledger, const std::string& key) {
  std::vector<Effect> found;
  std::copy_if(ledger.effects.begin(), ledger.effects.end(), std::back_inserter(found),
               [&](const Effect& effect) { return effect.key == key; });
  return found;
}

}  // namespace zerotask::fault

#include "zerotask/curve.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

#include <zmq.h>

namespace zerotask {
namespace {

constexpr std::size_t kZ85KeySize = 40;
constexpr std::size_t kBinaryKeySize = 32;
constexpr std::string_view kPublicName = "public-key";
constexpr std::string_view kSecretName = "secret-key";

std::optional<std::array<std::uint8_t, kBinaryKeySize>> decode_key(std::string_view text) {
  // zmq_z85_decode stops at a NUL: one inside would leave the rest undecoded.
  if (text.size() != kZ85KeySize || text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string terminated(text);
  std::array<std::uint8_t, kBinaryKeySize> binary{};
  if (zmq_z85_decode(binary.data(), terminated.c_str()) == nullptr) return std::nullopt;
  return binary;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

[[noreturn]] void bad_file(const std::string& path, const std::string& reason) {
  throw std::runtime_error("key file " + path + ": " + reason);
}

// The `name = KEY` lines of a key file, each key checked.
std::map<std::string, std::string, std::less<>> read_key_lines(const std::string& path) {
  std::ifstream file(path);
  if (!file) bad_file(path, "cannot be read");
  std::map<std::string, std::string, std::less<>> keys;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    std::string_view content = trimmed(line);
    if (content.empty() || content.front() == '#') continue;
    auto equals = content.find('=');
    std::string where = "line " + std::to_string(number);
    if (equals == std::string_view::npos) bad_file(path, where + " is not `name = key`");
    std::string_view name = trimmed(content.substr(0, equals));
    std::string_view value = trimmed(content.substr(equals + 1));
    if (name != kPublicName && name != kSecretName) {
      bad_file(path, where + " names '" + std::string(name) + "', not public-key or secret-key");
    }
    if (!is_curve_key(value)) bad_file(path, where + ": the " + std::string(name) + " is not a 40-character Z85 key");
    if (!keys.emplace(std::string(name), std::string(value)).second) {
      bad_file(path, where + " repeats the " + std::string(name));
    }
  }
  return keys;
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(trimmed(value));
}

}  // namespace

bool is_curve_key(std::string_view text) {
  return decode_key(text).has_value();
}

KeyPair generate_key_pair() {
  std::array<char, kZ85KeySize + 1> public_key{};
  std::array<char, kZ85KeySize + 1> secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
    throw std::runtime_error(std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()));
  }
  return KeyPair{public_key.data(), secret_key.data()};
}

std::string public_key_of(std::string_view secret_key) {
  if (!is_curve_key(secret_key)) throw std::invalid_argument("not a 40-character Z85 secret key");
  std::string terminated(secret_key);
  std::array<char, kZ85KeySize + 1> public_key{};
  if (zmq_curve_public(public_key.data(), terminated.c_str()) != 0) {
    throw std::invalid_argument(std::string("cannot derive a public key: ") + zmq_strerror(zmq_errno()));
  }
  return public_key.data();
}

KeyPair read_key_pair(const std::string& path) {
  auto keys = read_key_lines(path);
  auto secret = keys.find(kSecretName);
  if (secret == keys.end()) bad_file(path, "has no secret-key line (is it a public key file?)");
  KeyPair pair{public_key_of(secret->second), secret->second};
  auto stated = keys.find(kPublicName);
  if (stated != keys.end() && stated->second != pair.public_key) {
    bad_file(path, "its public-key does not belong to its secret-key");
  }
  return pair;
}

std::string read_public_key(const std::string& path) {
  auto keys = read_key_lines(path);
  if (auto stated = keys.find(kPublicName); stated != keys.end()) return stated->second;
  if (auto secret = keys.find(kSecretName); secret != keys.end()) return public_key_of(secret->second);
  bad_file(path, "has no public-key line");
}

std::string secret_key_file_text(const KeyPair& pair) {
  return "# zerotask CURVE key pair (zt keygen). Keep this file secret.\n"
         "public-key = " +
         pair.public_key + "\nsecret-key = " + pair.secret_key + "\n";
}

std::string public_key_file_text(std::string_view public_key) {
  return "# zerotask CURVE public key (zt keygen)\npublic-key = " + std::string(public_key) + "\n";
}

std::optional<KeyPair> resolve_key_pair(const std::string& key_file) {
  if (!key_file.empty()) return read_key_pair(key_file);
  std::string secret = environment("ZEROTASK_SECRET_KEY");
  if (secret.empty()) return std::nullopt;
  if (!is_curve_key(secret)) throw std::runtime_error("ZEROTASK_SECRET_KEY is not a 40-character Z85 key");
  return KeyPair{public_key_of(secret), secret};
}

std::optional<CurveCredentials> resolve_curve_credentials(const std::string& key_file,
                                                          const std::string& broker_key_file) {
  std::optional<KeyPair> own = resolve_key_pair(key_file);
  std::string broker_key;
  if (!broker_key_file.empty()) {
    broker_key = read_public_key(broker_key_file);
  } else {
    broker_key = environment("ZEROTASK_BROKER_KEY");
    if (!broker_key.empty() && !is_curve_key(broker_key)) {
      throw std::runtime_error("ZEROTASK_BROKER_KEY is not a 40-character Z85 key");
    }
  }
  if (!own && broker_key.empty()) return std::nullopt;
  if (!own) {
    throw std::runtime_error(
        "the broker's key is given but not this peer's own: --curve-key FILE or ZEROTASK_SECRET_KEY");
  }
  if (broker_key.empty()) {
    throw std::runtime_error("this peer's key is given but not the broker's: --broker-key FILE or ZEROTASK_BROKER_KEY");
  }
  return CurveCredentials{std::move(*own), std::move(broker_key)};
}

}  // namespace zerotask

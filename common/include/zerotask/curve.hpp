// CURVE keys (docs/SECURITY.md): making key pairs, reading the key files that
// `zt keygen` writes, and finding a peer's credentials. Keys are Z85 text, 40
// characters each. (apply_curve_client, in socket_options.hpp, puts them on a socket.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zerotask {

struct KeyPair {
  std::string public_key;
  std::string secret_key;
};

// What a client, node or zt needs to connect to a broker that requires CURVE: its
// own key pair and the broker's public key.
struct CurveCredentials {
  KeyPair own;
  std::string broker_public_key;
};

// True for 40 characters of Z85 that decode to a 32-byte key.
bool is_curve_key(std::string_view text);

// A fresh random key pair.
KeyPair generate_key_pair();

// The public key that goes with a secret key; throws std::invalid_argument for text
// that is not a key.
std::string public_key_of(std::string_view secret_key);

// Key files hold `public-key = KEY` and, in the secret file, `secret-key = KEY`
// lines; lines starting with '#' and blank lines are ignored. Both functions throw
// std::runtime_error naming the file and what is wrong with it.
//   read_key_pair: a secret key file (its public key, when present, must match).
//   read_public_key: the public key of a public or a secret key file.
KeyPair read_key_pair(const std::string& path);
std::string read_public_key(const std::string& path);

// The text of the key files `zt keygen` writes: the secret file holds both keys,
// the public file only the public key.
std::string secret_key_file_text(const KeyPair& pair);
std::string public_key_file_text(std::string_view public_key);

// A peer's own key pair: read from `key_file` when it is not empty, else from
// ZEROTASK_SECRET_KEY (a secret key; its public key is derived); nullopt when
// neither is given. Throws std::runtime_error for a malformed file or key.
std::optional<KeyPair> resolve_key_pair(const std::string& key_file);

// Credentials from files (`key_file` holds the peer's key pair, `broker_key_file`
// the broker's public key) or, for what no file names, from the environment:
// ZEROTASK_SECRET_KEY (the peer's secret key) and ZEROTASK_BROKER_KEY (the broker's
// public key). nullopt when neither is given anywhere (no CURVE); throws
// std::runtime_error when only one of the two is, or a key is malformed.
std::optional<CurveCredentials> resolve_curve_credentials(const std::string& key_file,
                                                          const std::string& broker_key_file);

}  // namespace zerotask

// `zt keygen`: writes a CURVE key pair as the two files that the broker, nodes and
// zt read (docs/SECURITY.md), never overwriting one.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "arguments.hpp"
#include "command_support.hpp"
#include "exit_codes.hpp"
#include "zerotask/curve.hpp"

namespace zerotask::zt {
namespace {

bool is_key_name(const std::string& name) {
  return !name.empty() && name.size() <= 128 && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

// Creates `path` with `mode` (never replacing a file) and writes `text` to it.
void write_new_file(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) throw UsageError(path + " exists: remove it or choose another name");
    throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t wrote = ::write(fd, text.data() + written, text.size() - written);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      int error = errno;
      ::close(fd);
      ::unlink(path.c_str());
      throw std::runtime_error("cannot write " + path + ": " + std::strerror(error));
    }
    written += static_cast<std::size_t>(wrote);
  }
  if (::close(fd) != 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

}  // namespace

int run_keygen(const GlobalOptions& global, const KeygenArguments& keygen, std::ostream& out) {
  if (!is_key_name(keygen.name)) {
    throw UsageError("a key name is 1 to 128 letters, digits, '.', '_' or '-', not starting with '.': '" + keygen.name +
                     "'");
  }
  KeyPair pair = generate_key_pair();
  std::string base = keygen.dir + "/" + keygen.name;
  std::string secret_file = base + ".key";
  std::string public_file = base + ".pub";
  write_new_file(secret_file, secret_key_file_text(pair), 0600);
  try {
    write_new_file(public_file, public_key_file_text(pair.public_key), 0644);
  } catch (...) {
    ::unlink(secret_file.c_str());
    throw;
  }
  if (global.json) {
    print_json(out, json{{"name", keygen.name},
                         {"public_key", pair.public_key},
                         {"secret_file", secret_file},
                         {"public_file", public_file}});
    return kOk;
  }
  out << "wrote " << secret_file << " (the key pair: keep it secret) and " << public_file << "\n"
      << "public key: " << pair.public_key << "\n"
      << "its entry in the broker's keys file (role: client, node or admin):\n"
      << "  " << rpc::to_text(json{{"name", keygen.name}, {"public_key", pair.public_key}, {"role", "client"}}) << "\n";
  return kOk;
}

}  // namespace zerotask::zt

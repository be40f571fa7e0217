#include "local_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>

namespace zerotask::bench {
namespace {

bool port_is_free(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return free;
}

}  // namespace

int free_port_pair() {
  // Start at a point spread by pid so that two benches running at once rarely
  // probe the same ports; each call moves on, so pairs handed out never repeat.
  static std::atomic<int> next{30000 + static_cast<int>(getpid() % 1000) * 20};
  for (int attempt = 0; attempt < 5000; ++attempt) {
    int port = next.fetch_add(2);
    if (port > 60000) next = port = 30000;
    if (port_is_free(port) && port_is_free(port + 1)) return port;
  }
  throw std::runtime_error("no free pair of loopback TCP ports found");
}

std::string loopback_endpoint(int port) {
  return "tcp://127.0.0.1:" + std::to_string(port);
}

}  // namespace zerotask::bench

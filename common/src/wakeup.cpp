#include "zerotask/wakeup.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace zerotask {

Wakeup::Wakeup() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Wakeup::~Wakeup() { close(fd_); }

void Wakeup::notify() {
  std::uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the poller will wake anyway.
  [[maybe_unused]] auto written = write(fd_, &one, sizeof one);
}

void Wakeup::clear() {
  std::uint64_t count = 0;
  [[maybe_unused]] auto got = read(fd_, &count, sizeof count);
}

}  // namespace zerotask

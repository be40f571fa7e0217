#include "mounted_tmpfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace zerotask::fault {

MountedTmpfs::MountedTmpfs(std::string path, const std::string& size) : path_(std::move(path)) {
  std::error_code ignored;
  std::filesystem::create_directories(path_, ignored);
  std::string options = "size=" + size + ",mode=0755";
  if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
    mounted_ = true;
  } else {
    error_ = std::string("mount -t tmpfs -o ") + options + " tmpfs " + path_ + " failed: " + std::strerror(errno) +
             " (the fault suite runs as root, or with CAP_SYS_ADMIN, to fill a small filesystem)";
  }
}

MountedTmpfs::~MountedTmpfs() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

std::size_t fill_filesystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return 0;
  std::vector<char> chunk(64 * 1024, 'x');
  std::size_t total = 0;
  while (true) {
    ssize_t written = ::write(fd, chunk.data(), chunk.size());
    if (written <= 0) break;
    total += static_cast<std::size_t>(written);
  }
  ::close(fd);
  return total;
}

}  // namespace zerotask::fault

// MountedTmpfs: a small filesystem to fill up, for the disk-full scenario; needs
// root (or CAP_SYS_ADMIN). One thread.
#pragma once

#include <cstddef>
#include <string>

namespace zerotask::fault {

// A tmpfs of `size` (mount(8) syntax, e.g. "4m") mounted on `path` (created if
// missing) for the life of the object; lazily unmounted (MNT_DETACH) at the end, so
// that a process still holding a file there cannot keep it mounted. mounted() is
// false, and error() says why, when the mount failed (not root, no CAP_SYS_ADMIN).
class MountedTmpfs {
 public:
  MountedTmpfs(std::string path, const std::string& size);
  ~MountedTmpfs();
  MountedTmpfs(const MountedTmpfs&) = delete;
  MountedTmpfs& operator=(const MountedTmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Writes `path` until the filesystem holding it is full; returns the bytes written.
std::size_t fill_filesystem(const std::string& path);

}  // namespace zerotask::fault

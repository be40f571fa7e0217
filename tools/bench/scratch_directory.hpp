// Where the durable stores zt-bench measures live: a fresh directory made inside a
// chosen one (the current directory by default), removed with everything in it
// when the object goes away, and the type of the filesystem it is on. The type
// matters: on a tmpfs an fsync costs nothing, so --sync full would measure
// nothing. Used by one thread; the brokers using its files must be stopped before
// it goes away.
#pragma once

#include <string>

namespace zerotask::bench {

// The filesystem a path is on, from statfs(2) and /proc/self/mountinfo.
struct FilesystemType {
  std::string name;            // "ext4", "xfs", "tmpfs", ... ("unknown 0x...." if neither source knows)
  bool memory_backed = false;  // tmpfs or ramfs: fsync is free there
};

// Throws std::runtime_error when `path` cannot be examined.
FilesystemType filesystem_type(const std::string& path);

class ScratchDirectory {
 public:
  // Makes "<parent>/zt-bench-XXXXXX" (mkdtemp). Throws std::runtime_error when it
  // cannot.
  explicit ScratchDirectory(const std::string& parent);
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace zerotask::bench

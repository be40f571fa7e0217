#include "scratch_directory.hpp"

#include <sys/vfs.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace zerotask::bench {
namespace {

// f_type values of statfs(2) (linux/magic.h), for when mountinfo has no answer.
struct KnownMagic {
  unsigned long magic;
  const char* name;
};
constexpr KnownMagic kKnownMagics[] = {
    {0xEF53, "ext2/ext3/ext4"}, {0x58465342, "xfs"},     {0x9123683E, "btrfs"}, {0x01021994, "tmpfs"},
    {0x858458F6, "ramfs"},      {0x794C7630, "overlay"}, {0x2FC12FC1, "zfs"},   {0x6969, "nfs"},
    {0xF2F52010, "f2fs"},       {0x65735546, "fuse"},    {0x5346544E, "ntfs"},  {0x4D44, "vfat"},
};
constexpr unsigned long kTmpfsMagic = 0x01021994;
constexpr unsigned long kRamfsMagic = 0x858458F6;

// mountinfo escapes blanks and backslashes in paths as \ooo (octal).
std::string unescape_mount_path(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      out += static_cast<char>(std::strtol(text.substr(i + 1, 3).c_str(), nullptr, 8));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The filesystem type of the mount that holds `canonical` (the longest mount point
// that is a prefix of it), or "" when /proc/self/mountinfo cannot say.
std::string mount_type(const std::string& canonical) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  std::string best_point;
  std::string best_type;
  while (std::getline(mountinfo, line)) {
    // "<id> <parent> <major:minor> <root> <mount point> <options> [optional...] - <type> <source> <super options>"
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    if (!(fields >> id >> parent >> device >> root >> point)) continue;
    point = unescape_mount_path(point);
    std::string field;
    while (fields >> field && field != "-") {
    }
    std::string type;
    if (!(fields >> type)) continue;
    bool contains = canonical == point || point == "/" ||
                    (canonical.starts_with(point) && canonical.size() > point.size() && canonical[point.size()] == '/');
    // A later line for the same mount point is a mount on top of the earlier one.
    if (contains && point.size() >= best_point.size()) {
      best_point = point;
      best_type = type;
    }
  }
  return best_type;
}

}  // namespace

FilesystemType filesystem_type(const std::string& path) {
  struct statfs info;
  if (statfs(path.c_str(), &info) != 0) {
    throw std::runtime_error("cannot examine the filesystem of " + path + ": " + std::strerror(errno));
  }
  auto magic = static_cast<unsigned long>(info.f_type);
  FilesystemType type;
  type.memory_backed = magic == kTmpfsMagic || magic == kRamfsMagic;
  std::error_code error;
  type.name = mount_type(std::filesystem::canonical(path, error).string());
  if (error || type.name.empty()) {
    for (const auto& known : kKnownMagics) {
      if (known.magic == magic) type.name = known.name;
    }
  }
  if (type.name.empty()) {
    char text[32];
    std::snprintf(text, sizeof text, "unknown 0x%lx", magic);
    type.name = text;
  }
  return type;
}

ScratchDirectory::ScratchDirectory(const std::string& parent) {
  std::error_code error;
  auto base = std::filesystem::canonical(parent.empty() ? std::string(".") : parent, error);
  if (error) throw std::runtime_error("cannot make a scratch directory in " + parent + ": " + error.message());
  std::string pattern = (base / "zt-bench-XXXXXX").string();
  std::vector<char> text(pattern.begin(), pattern.end());
  text.push_back('\0');
  if (!mkdtemp(text.data())) {
    throw std::runtime_error("cannot make a scratch directory in " + parent + ": " + std::strerror(errno));
  }
  path_ = text.data();
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
  if (error) std::cerr << "zt-bench: cannot remove " << path_ << ": " << error.message() << std::endl;
}

}  // namespace zerotask::bench

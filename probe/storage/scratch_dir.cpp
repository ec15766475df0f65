#include "probe/storage/scratch_dir.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "common/file_kind.h"

namespace cairn::probe::storage {
namespace {

std::string gib(std::uint64_t bytes) { return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1ULL << 30)); }

}  // namespace

void check_probe_path(const std::string& path, std::uint64_t needed_bytes, const std::string& size_flag) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int e = errno;
    if (e == ENOENT) fail(path, "no such directory: give an existing directory on the filesystem to probe");
    fail(path, fmt::format("cannot read it ({}): give a directory this user may write into", std::strerror(e)));
  }
  if (!S_ISDIR(st.st_mode))
    fail(path, fmt::format("is {}, not a directory: give the directory the run reads from or writes to",
                           file_kind(st.st_mode)));
  struct statvfs fs;
  if (::statvfs(path.c_str(), &fs) != 0)
    fail(path, fmt::format("cannot read its filesystem's figures ({})", std::strerror(errno)));
  if (fs.f_flag & ST_RDONLY)
    fail(path, "is on a read-only filesystem: give a directory on a writable one (the probe writes and removes files)");
  if (::access(path.c_str(), W_OK | X_OK) != 0)
    fail(path, fmt::format("this user may not create files in it ({}): give a directory it may write into",
                           std::strerror(errno)));
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes < needed_bytes)
    fail(path, fmt::format("the filesystem has {} free and the probe needs {}: free space or give a smaller {}",
                           gib(free_bytes), gib(needed_bytes), size_flag));
}

ScratchDir::ScratchDir(const std::string& parent) {
  std::vector<char> name(parent.begin(), parent.end());
  const std::string leaf = "/cairn-storage-XXXXXX";
  name.insert(name.end(), leaf.begin(), leaf.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) {
    const int e = errno;
    if (e == EROFS) fail(parent, "is on a read-only filesystem: give a directory on a writable one");
    if (e == ENOSPC) fail(parent, "the filesystem is full: free space or give another directory");
    fail(parent, fmt::format("cannot create the probe's scratch directory ({}): give a directory this user may "
                             "write into", std::strerror(e)));
  }
  path_ = name.data();
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace cairn::probe::storage

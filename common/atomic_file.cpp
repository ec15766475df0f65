#include "common/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file_kind.h"

namespace cairn {
namespace {

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  const int e = errno;
  std::string problem = what + ": " + std::strerror(e);
  if (e == ENOSPC || e == EDQUOT) problem += " (free space or write elsewhere)";
  fail(path, problem);
}

// As the kernel's own limit on links followed in one lookup.
constexpr int kMaxSymlinkHops = 40;

std::string parent_dir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

// Where writing PATH lands: PATH itself unless it is a symbolic link, else the end of its
// chain of links (which may not exist yet: a dangling link).
std::string follow_links(const std::string& path) {
  std::string at = path;
  for (int hop = 0; hop <= kMaxSymlinkHops; ++hop) {
    struct stat st {};
    if (::lstat(at.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return at;
    std::string link(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
    const ssize_t n = ::readlink(at.c_str(), link.data(), link.size());
    if (n < 0) fail_errno(path, "cannot read the symbolic link");
    link.resize(static_cast<std::size_t>(n));
    at = !link.empty() && link.front() == '/' ? link : (std::filesystem::path(parent_dir(at)) / link).string();
  }
  fail(path, "symbolic links form a loop (or a chain over " + std::to_string(kMaxSymlinkHops) +
                 " long); point it at a file");
}

bool written_in_place(mode_t mode) { return S_ISCHR(mode) || S_ISBLK(mode) || S_ISFIFO(mode); }

// fsync of a device that cannot sync (/dev/null: EINVAL) is nothing to report.
bool sync_unsupported(int e) { return e == EINVAL || e == EROFS || e == ENOTSUP; }

// Refuses what is at `target` (PATH's end of links) if it cannot take a file's bytes;
// true when it exists, with its stat in st.
bool existing_target(const std::string& path, const std::string& target, struct stat& st) {
  if (::stat(target.c_str(), &st) != 0) return false;
  if (S_ISDIR(st.st_mode) || S_ISSOCK(st.st_mode))
    fail(path, std::string("is ") + file_kind(st.st_mode) + ", not a file; give a file path to write");
  return true;
}

}  // namespace

void AtomicFile::check_writable(const std::string& path) {
  const std::string target = follow_links(path);
  struct stat st {};
  if (existing_target(path, target, st)) return;
  const std::string dir = parent_dir(target);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    fail(path, "its directory " + dir + " does not exist; create it first, or check the path for a typo");
}

AtomicFile::AtomicFile(std::string path, Sync sync) : path_(std::move(path)), sync_(sync) {
  target_ = follow_links(path_);
  struct stat st {};
  if (existing_target(path_, target_, st)) {
    if (written_in_place(st.st_mode)) {
      fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) fail_errno(path_, "cannot write");
      return;
    }
  }
  tmp_ = target_ + kAtomicTempInfix + std::to_string(::getpid());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno(path_, "cannot write");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, std::size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd_, p, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(path_, "write failed");
    }
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::write_at(std::uint64_t offset, const void* data, std::size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::pwrite(fd_, p, bytes, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(path_, errno == ESPIPE ? "cannot seek back to finish it (a pipe; give a file)"
                                        : "write failed");
    }
    p += n;
    offset += static_cast<std::uint64_t>(n);
    bytes -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::commit() {
  if (sync_ == Sync::durable && ::fsync(fd_) != 0 && (tmp_.empty() ? !sync_unsupported(errno) : true))
    fail_errno(path_, "fsync failed");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail_errno(path_, "close failed");
  if (tmp_.empty()) {  // written in place: nothing to rename
    committed_ = true;
    return;
  }
  if (::rename(tmp_.c_str(), target_.c_str()) != 0) fail_errno(path_, "cannot rename into place");
  committed_ = true;
  if (sync_ != Sync::durable) return;
  // The rename is durable once the directory entry is on disk.
  const std::string dir = parent_dir(target_);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail_errno(dir, "cannot open the directory to sync it");
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) fail_errno(dir, "fsync of the directory failed");
}

}  // namespace cairn

#include "common/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"

namespace cairn {
namespace {

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  const int e = errno;
  std::string problem = what + ": " + std::strerror(e);
  if (e == ENOSPC || e == EDQUOT) problem += " (free space or write elsewhere)";
  fail(path, problem);
}

}  // namespace

AtomicFile::AtomicFile(std::string path, Sync sync) : path_(std::move(path)), sync_(sync) {
  tmp_ = path_ + kAtomicTempInfix + std::to_string(::getpid());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno(path_, "cannot write");
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
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

void AtomicFile::commit() {
  if (sync_ == Sync::durable && ::fsync(fd_) != 0) fail_errno(path_, "fsync failed");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail_errno(path_, "close failed");
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail_errno(path_, "cannot rename into place");
  committed_ = true;
  if (sync_ != Sync::durable) return;
  // The rename is durable once the directory entry is on disk.
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail_errno(dir, "cannot open the directory to sync it");
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) fail_errno(dir, "fsync of the directory failed");
}

}  // namespace cairn

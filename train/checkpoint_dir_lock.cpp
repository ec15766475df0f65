#include "train/checkpoint_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "common/error.h"
#include "common/host_name.h"
#include "common/utc_time.h"

namespace cairn::train {
namespace {

// What a refusal echoes of the record: it is whatever the file holds (another version,
// an intruder), so only printable characters, and not many.
std::string printable(const std::string& s, std::size_t max_chars) {
  std::string out;
  for (char c : s)
    if (c >= 0x21 && c <= 0x7e && out.size() < max_chars) out += c;
  return out.empty() ? "?" : out;
}

// "pid N\nhost H\nsince T\n": the holder, as the file records it.
std::string holder_record() {
  const std::string host = host_name();
  return "pid " + std::to_string(::getpid()) + "\nhost " + (host.empty() ? "unknown" : host) + "\nsince " +
         utc_now_iso8601() + "\n";
}

std::string field(const std::string& record, const std::string& key) {
  std::istringstream in(record);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + " ", 0) == 0) return printable(line.substr(key.size() + 1), 64);
  return "?";
}

std::string read_record(int fd) {
  char buf[512];
  const ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

[[noreturn]] void not_writable(const std::string& dir, const std::string& what, int err) {
  std::string fix = "give a directory this user can write";
  if (err == ENOSPC || err == EDQUOT) fix = "free space there or give a directory on another filesystem";
  else if (err == EROFS) fix = "give a directory on a writable filesystem";
  else if (err == EACCES || err == EPERM) fix += ", or fix its permissions";
  throw Error("--checkpoint-dir " + dir + " cannot be written (" + what + ": " + std::strerror(err) + "): " + fix);
}

}  // namespace

CheckpointDirLock::CheckpointDirLock(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / kCheckpointLockName).string();
  // Not O_TRUNC: a run that holds the lock keeps its record until we have the lock.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd_ < 0) not_writable(dir, "cannot create " + std::string(kCheckpointLockName), errno);
  // Never write into whatever else was put there under that name (a device, a FIFO).
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw Error("--checkpoint-dir " + dir + ": " + kCheckpointLockName +
                " there is not a regular file: remove it (cairn keeps its lock there)");
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      const std::string record = read_record(fd_);
      ::close(fd_);
      fd_ = -1;
      const std::string who = record.empty() ? "a run that is still starting (it has not written its record yet)"
                                             : "pid " + field(record, "pid") + " on host " + field(record, "host") +
                                                   " since " + field(record, "since");
      throw Error("--checkpoint-dir " + dir + " is in use by " + who +
                  " (another run writes its checkpoints there): give each run its own directory");
    }
    // ENOLCK, ENOSYS, EOPNOTSUPP: the filesystem has no (coherent) flock. Run unprotected
    // rather than refuse every run there, and say so.
    warning_ = "--checkpoint-dir " + dir + ": cannot lock " + kCheckpointLockName + " (" + std::strerror(err) +
               "), so nothing stops another run from writing there too (Lustre: mount with -o flock)";
  }
  const std::string record = holder_record();
  ssize_t n = -1;
  if (::ftruncate(fd_, 0) == 0) n = ::pwrite(fd_, record.data(), record.size(), 0);
  if (n != static_cast<ssize_t>(record.size())) {
    const int err = n < 0 ? errno : ENOSPC;  // a short write: the filesystem is full
    ::close(fd_);
    fd_ = -1;
    not_writable(dir, "cannot write " + std::string(kCheckpointLockName), err);
  }
}

CheckpointDirLock::~CheckpointDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock; the record stays, marked stale by the lock's absence
}

}  // namespace cairn::train

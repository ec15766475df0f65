// Device nodes and sockets made inside a case's sandbox, never touching the real /dev:
// copies of /dev/null (c 1 3), /dev/zero (c 1 5) and /dev/full (c 1 7) behave as those do.
#pragma once

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "tests/hostile/hostile.h"

namespace cairn::hostile {

inline constexpr unsigned kNullMinor = 3, kZeroMinor = 5, kFullMinor = 7;

// A character device of major 1 at rel: its path, or "" where mknod is not allowed (the
// case then skips).
inline std::string char_device(const Sandbox& box, const std::string& rel, unsigned minor) {
  const std::string p = box.path(rel);
  return ::mknod(p.c_str(), S_IFCHR | 0666, makedev(1, minor)) == 0 ? p : "";
}

// True when path is still a character device of major 1 and that minor.
inline bool is_char_device(const std::string& path, unsigned minor) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
         minor(st.st_rdev) == minor;
}

inline bool is_symlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// A Unix socket's file at path (bound, then closed: the file stays).
inline bool make_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  const bool ok = path.size() < sizeof a.sun_path &&
                  (std::memcpy(a.sun_path, path.c_str(), path.size()),
                   ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
  ::close(fd);
  return ok;
}

}  // namespace cairn::hostile

#include "common/text_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_kind.h"

namespace cairn {
namespace {

// "256 MiB", "1.5 GiB": limits and sizes as a person reads them.
std::string human_bytes(std::size_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

[[noreturn]] void fail_stat(const std::string& path, int e) {
  struct stat st {};
  if (e == ENOENT && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    fail(path, "a symbolic link to a file that does not exist; point it at a file");
  if (e == ENOENT) fail(path, "no such file");
  if (e == ELOOP) fail(path, "symbolic links form a loop; point it at a file");
  fail(path, std::string("cannot open: ") + std::strerror(e));
}

// Inputs are read whole into memory, so the limit is what a sane input of the kind can be.
[[noreturn]] void fail_too_big(const std::string& path, const std::string& how) {
  fail(path, how + " limit for this input (it is read whole into memory); is it the right file?");
}

}  // namespace

std::string read_text_file(const std::string& path, bool allow_empty, std::size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail_stat(path, errno);
  if (S_ISDIR(st.st_mode)) fail(path, "is a directory, expected a file");
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))  // both read as a stream
    fail(path, std::string("not a regular file (") + file_kind(st.st_mode) + "); give a file");
  if (S_ISREG(st.st_mode) && static_cast<unsigned long long>(st.st_size) > max_bytes)
    fail_too_big(path, "is " + human_bytes(static_cast<std::size_t>(st.st_size)) + ", over the " + human_bytes(max_bytes));
  const std::size_t expected = S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0;

  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_stat(path, errno);
  std::string s;
  try {
    // A regular file's size is known (and may be 0 for /proc files that still have text);
    // a FIFO's is not. Either way the read below stops one byte past the limit.
    s.reserve(expected);
    char buf[1 << 16];
    while (s.size() <= max_bytes) {
      const std::size_t want = std::min(sizeof buf, max_bytes + 1 - s.size());
      const ssize_t n = ::read(fd, buf, want);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int e = errno;
        ::close(fd);
        fail(path, std::string("read error: ") + std::strerror(e));
      }
      if (n == 0) break;
      s.append(buf, static_cast<std::size_t>(n));
    }
  } catch (const std::bad_alloc&) {
    ::close(fd);
    fail_out_of_memory(path, "read its " + human_bytes(std::max(expected, s.size())));
  }
  ::close(fd);
  if (s.size() > max_bytes) fail_too_big(path, "goes on past the " + human_bytes(max_bytes));
  if (s.empty() && !allow_empty) fail(path, "file is empty");
  return s;
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  AtomicFile out(path, AtomicFile::Sync::none);
  out.write(contents.data(), contents.size());
  out.commit();
}

}  // namespace cairn

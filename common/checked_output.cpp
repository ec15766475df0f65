#include "common/checked_output.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace cairn {

CheckedOutput::CheckedOutput(int fd) : fd_(fd), by_line_(::isatty(fd) == 1), buffer_(1 << 16) {
  setp(buffer_.data(), buffer_.data() + buffer_.size());
}

CheckedOutput::~CheckedOutput() { drain(); }

bool CheckedOutput::drain() {
  const char* p = pbase();
  std::size_t left = static_cast<std::size_t>(pptr() - pbase());
  setp(buffer_.data(), buffer_.data() + buffer_.size());
  while (error_ == 0 && left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = errno;
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return error_ == 0;
}

int CheckedOutput::finish() {
  drain();
  return error_;
}

CheckedOutput::int_type CheckedOutput::overflow(int_type c) {
  if (!drain()) return traits_type::eof();
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  *pptr() = traits_type::to_char_type(c);
  pbump(1);
  if (by_line_ && c == '\n' && !drain()) return traits_type::eof();
  return c;
}

std::streamsize CheckedOutput::xsputn(const char* s, std::streamsize n) {
  std::streamsize done = 0;
  while (done < n) {
    if (pptr() == epptr() && !drain()) return done;
    const std::streamsize room = epptr() - pptr();
    const std::streamsize take = n - done < room ? n - done : room;
    std::memcpy(pptr(), s + done, static_cast<std::size_t>(take));
    pbump(static_cast<int>(take));
    done += take;
  }
  if (by_line_ && std::memchr(s, '\n', static_cast<std::size_t>(n)) && !drain()) return done;
  return done;
}

int CheckedOutput::sync() { return drain() ? 0 : -1; }

}  // namespace cairn

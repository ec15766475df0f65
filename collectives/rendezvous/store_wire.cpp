#include "collectives/rendezvous/store_wire.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

namespace cairn::coll::detail {

FrameWriter& FrameWriter::u8(std::uint8_t v) {
  payload_.push_back(static_cast<char>(v));
  return *this;
}

FrameWriter& FrameWriter::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) payload_.push_back(static_cast<char>(v >> shift));
  return *this;
}

FrameWriter& FrameWriter::i64(std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) payload_.push_back(static_cast<char>(u >> shift));
  return *this;
}

FrameWriter& FrameWriter::str(std::string_view s) {
  if (s.size() > kMaxFrameBytes) throw ProtocolError("string too long for one frame");
  u32(static_cast<std::uint32_t>(s.size()));
  payload_.append(s);
  return *this;
}

FrameWriter& FrameWriter::raw(std::string_view s) {
  payload_.append(s);
  return *this;
}

std::string FrameWriter::frame() const {
  if (payload_.size() > kMaxFrameBytes) throw ProtocolError("frame too long");
  std::string out;
  out.reserve(4 + payload_.size());
  const auto n = static_cast<std::uint32_t>(payload_.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  out.append(payload_);
  return out;
}

std::string_view FrameReader::raw(std::size_t n) {
  if (n > rest_.size()) throw ProtocolError("truncated frame");
  auto out = rest_.substr(0, n);
  rest_.remove_prefix(n);
  return out;
}

std::uint8_t FrameReader::u8() { return static_cast<std::uint8_t>(raw(1)[0]); }

std::uint32_t FrameReader::u32() {
  std::uint32_t v = 0;
  for (char c : raw(4)) v = (v << 8) | static_cast<std::uint8_t>(c);
  return v;
}

std::int64_t FrameReader::i64() {
  std::uint64_t v = 0;
  for (char c : raw(8)) v = (v << 8) | static_cast<std::uint8_t>(c);
  return static_cast<std::int64_t>(v);
}

std::string FrameReader::str() {
  const std::uint32_t n = u32();
  return std::string(raw(n));
}

namespace {

// Waits until fd is readable. false once the deadline has passed.
bool wait_readable(int fd, const Deadline& deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) return false;
      // Round up so a sub-millisecond remainder does not spin.
      timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count() + 1, 1 << 30));
    }
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return true;  // readable, hung up or errored: recv tells which
    if (r < 0 && errno != EINTR) return true;
  }
}

// Reads exactly n bytes into out.
IoResult read_exact(int fd, char* out, std::size_t n, const Deadline& deadline) {
  while (n > 0) {
    if (!wait_readable(fd, deadline)) return IoResult::timed_out;
    const ssize_t got = ::recv(fd, out, n, 0);
    if (got == 0) return IoResult::closed;
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return IoResult::closed;
    }
    out += got;
    n -= static_cast<std::size_t>(got);
  }
  return IoResult::ok;
}

}  // namespace

IoResult read_frame(int fd, std::string& payload, std::uint32_t max_bytes, Deadline deadline) {
  unsigned char header[4];
  if (auto r = read_exact(fd, reinterpret_cast<char*>(header), 4, deadline); r != IoResult::ok)
    return r;
  const std::uint32_t n = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                          (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
  if (n > max_bytes)
    throw ProtocolError(fmt::format("frame of {} bytes exceeds the cap of {}", n, max_bytes));
  payload.assign(n, '\0');
  return read_exact(fd, payload.data(), n, deadline);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  return fmt::format("{:g} s", static_cast<double>(ms.count()) / 1000.0);
}

Deadline deadline_after(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return std::nullopt;
  return Clock::now() + timeout;
}

}  // namespace cairn::coll::detail

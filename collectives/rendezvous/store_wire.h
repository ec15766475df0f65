// The rendezvous store's wire format and socket plumbing, shared by its server and client
// (collectives/tcp_store_server.cpp, tcp_store_client.cpp).
//
// A frame is a 4-byte big-endian payload length, then the payload: an op code (request)
// or a status (reply) and its fields. Integers are big-endian, strings a u32 length and
// the bytes. Lengths are checked against caps before anything is allocated.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cairn::coll::detail {

inline constexpr std::string_view kStoreMagic = "CAIRNKV1";
inline constexpr std::uint32_t kStoreProtocolVersion = 1;
// The hello (magic, version, secret) fits easily; anything bigger before it is garbage.
inline constexpr std::uint32_t kMaxHelloBytes = 4096;
// NCCL unique ids are 128 B and UCX worker addresses a few KiB; 64 MiB bounds what one
// peer can make the server allocate.
inline constexpr std::uint32_t kMaxFrameBytes = 64u << 20;
// How long a new connection may take to present its hello: a rank sends it at once, so
// this bounds only how long a client without the secret holds a descriptor.
inline constexpr std::chrono::seconds kHelloTimeout{5};

enum class StoreOp : std::uint8_t { hello = 1, set = 2, get = 3, add = 4, wait = 5 };
enum class StoreStatus : std::uint8_t { ok = 0, timeout = 1, refused = 2, error = 3 };

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;  // nullopt: no deadline

// A malformed or oversized frame.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FrameWriter {
 public:
  FrameWriter& u8(std::uint8_t v);
  FrameWriter& u32(std::uint32_t v);
  FrameWriter& i64(std::int64_t v);
  FrameWriter& str(std::string_view s);  // length-prefixed
  FrameWriter& raw(std::string_view s);  // bytes as they are
  // The payload with its length prefix.
  std::string frame() const;

 private:
  std::string payload_;
};

class FrameReader {
 public:
  explicit FrameReader(std::string_view payload) : rest_(payload) {}
  std::uint8_t u8();
  std::uint32_t u32();
  std::int64_t i64();
  std::string str();
  std::string_view raw(std::size_t n);
  bool at_end() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

enum class IoResult { ok, closed, timed_out };

// Reads one frame's payload. closed: the peer hung up or reset; timed_out: the deadline
// passed. Throws ProtocolError if the announced length exceeds max_bytes.
IoResult read_frame(int fd, std::string& payload, std::uint32_t max_bytes, Deadline deadline);

// Sends everything (no SIGPIPE); false if the peer is gone.
bool write_all(int fd, std::string_view data);

// Compares without an early exit, so response time does not reveal how much of a guessed
// secret was right.
bool constant_time_equal(std::string_view a, std::string_view b);

// "30 s", "0.5 s": how errors state a timeout.
std::string seconds_text(std::chrono::milliseconds ms);

// Deadline `timeout` from now; none for 0.
Deadline deadline_after(std::chrono::milliseconds timeout);

}  // namespace cairn::coll::detail

// What every checkpoint file reader and writer of ft/checkpoint shares: the error that
// marks a file as damaged (a resume may fall back past it), bounded positional reads that
// tell a short file (damage) from a failing read (not damage: the file is left alone),
// the 24-byte preamble every file starts with, and 16-hex-digit XXH3-64 values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/json_io.h"

namespace cairn::ft {

// The file cannot be trusted: missing, truncated, a bad magic, a checksum mismatch, a
// malformed header. A resume may fall back to an older checkpoint on this error, never on
// a plain cairn::Error (another format version, another model or settings, EACCES/EIO),
// which needs the user.
class CorruptCheckpoint : public Error {
 public:
  using Error::Error;
};

// "PATH: PROBLEM; the file is damaged; use an older checkpoint (...)".
[[noreturn]] void corrupt(const std::string& path, const std::string& problem);

// json_field() of a file's JSON header, its error marking the file damaged.
template <typename T>
T header_field(const Json& h, const char* key, const std::string& path) {
  try {
    return json_field<T>(h, key, path);
  } catch (const Error& e) {
    corrupt(path, std::string("header: ") + e.what());
  }
}

std::string hex64(std::uint64_t h);
// false unless `text` is exactly 16 hex digits.
bool parse_hex64(const std::string& text, std::uint64_t& out);

// A file open for reading. Bytes that are not there are for the caller to call damage;
// a failing read (EACCES, EIO, ...) throws a plain cairn::Error saying the file was left
// in place.
class FileReader {
 public:
  explicit FileReader(const std::string& path);  // missing: CorruptCheckpoint
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  std::uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // All `bytes` at `offset`, or false if the file ends first.
  bool read_at(std::uint64_t offset, void* out, std::size_t bytes) const;

 private:
  [[noreturn]] void system_error(const std::string& what) const;
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// magic (8 bytes), format version (u32), header length (u32), XXH3-64 of the header (u64);
// all little-endian.
inline constexpr std::size_t kPreambleBytes = 24;
using Magic = std::array<char, 8>;
inline constexpr Magic kManifestMagic = {'C', 'A', 'I', 'R', 'N', 'C', 'K', 'P'};  // as format version 1
inline constexpr Magic kShardMagic = {'C', 'A', 'I', 'R', 'N', 'S', 'H', 'D'};
inline constexpr std::uint32_t kShardedFormatVersion = 2;
inline constexpr std::uint64_t kMaxHeaderBytes = 16u << 20;  // a sanity bound for a damaged length

struct Preamble {
  Magic magic{};
  std::uint32_t version = 0;
  std::uint32_t header_bytes = 0;
  std::uint64_t header_hash = 0;
};
void encode_preamble(const Preamble& p, char out[kPreambleBytes]);
// The preamble of `in`, or CorruptCheckpoint if the file is shorter than one.
Preamble read_preamble(const FileReader& in);

// The header text after a checked preamble: CorruptCheckpoint on a length beyond the file
// or kMaxHeaderBytes, or a checksum mismatch.
std::string read_header_text(const FileReader& in, const Preamble& p);

}  // namespace cairn::ft

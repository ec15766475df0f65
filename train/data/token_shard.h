// Token shards: the on-disk form of tokenised text (docs/data-format.md). A 32-byte
// little-endian header, then the tokens:
//   offset  0  char[8]  magic "CAIRNTOK"
//   offset  8  u32      version (1)
//   offset 12  u32      token width in bytes: 1, 2 or 4
//   offset 16  u64      token count
//   offset 24  u32      vocabulary size (every token is below it; 0: not recorded)
//   offset 28  u32      reserved, 0
//   offset 32  tokens, little-endian, count * width bytes, nothing after them
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <memory>
#include <vector>

#include "common/atomic_file.h"

namespace cairn::train {

inline constexpr char kTokenShardMagic[8] = {'C', 'A', 'I', 'R', 'N', 'T', 'O', 'K'};
inline constexpr std::uint32_t kTokenShardVersion = 1;
inline constexpr std::size_t kTokenShardHeaderBytes = 32;

// The narrowest width that holds every token below vocab_size.
std::uint32_t token_width_for_vocab(std::uint64_t vocab_size);

// Streams tokens into a shard through an AtomicFile (common/atomic_file.h): renamed over
// PATH by finish(), so a reader never sees a half-written shard. Tokens >= vocab_size throw cairn::Error.
class TokenShardWriter {
 public:
  TokenShardWriter(std::string path, std::uint32_t vocab_size);
  ~TokenShardWriter();  // abandons (removes the temporary) unless finish() ran
  TokenShardWriter(const TokenShardWriter&) = delete;
  TokenShardWriter& operator=(const TokenShardWriter&) = delete;

  void append(const std::uint32_t* tokens, std::size_t count);
  void append(const std::vector<std::uint32_t>& tokens) { append(tokens.data(), tokens.size()); }
  std::uint64_t count() const { return count_; }
  void finish();

 private:
  std::string path_;
  std::uint32_t vocab_size_, width_;
  std::uint64_t count_ = 0;
  std::unique_ptr<AtomicFile> file_;
};

// A read-only shard, read with pread (no mapping: a file cut while it is read is an
// error naming it, not a SIGBUS). The constructor checks the header against the file
// size and throws cairn::Error naming the file for a directory or other non-regular file,
// a wrong magic, an unknown version or width, or a size that does not match the count
// (truncated or with trailing bytes). Reads are safe from several threads at once; one
// that finds the file shorter than it was at open throws cairn::Error naming the file
// and both sizes.
class TokenShard {
 public:
  explicit TokenShard(std::string path);
  ~TokenShard();
  TokenShard(const TokenShard&) = delete;
  TokenShard& operator=(const TokenShard&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return count_; }
  std::uint32_t token_width() const { return width_; }
  std::uint32_t vocab_size() const { return vocab_size_; }
  std::uint32_t token(std::uint64_t i) const;
  // out[j] = token(first + j) for j < count (range checked), in one pread.
  void read(std::uint64_t first, std::uint64_t count, std::int32_t* out) const;

 private:
  void read_bytes(std::uint64_t offset, unsigned char* out, std::size_t bytes) const;
  std::string path_;
  int fd_ = -1;
  std::uint64_t file_bytes_ = 0;  // at open
  std::uint64_t count_ = 0;
  std::uint32_t width_ = 0, vocab_size_ = 0;
};

}  // namespace cairn::train

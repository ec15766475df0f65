// One rank's shard of a checkpoint (docs/checkpoint-format.md, version 2): the range
// [first_element, first_element + elements) of each flat f32 buffer of the state (params,
// adam.m, adam.v), each zstd-compressed, with the XXH3-64 of its raw bytes (computed as
// the state was staged) and of its stored bytes. Layout: the 24-byte preamble (magic
// CAIRNSHD, version 2), a JSON header, zero padding up to byte 4096, then the sections
// back to back. The header is written last (its sizes are known only then), at offset 24.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/json_io.h"
#include "ft/checkpoint/file_io.h"

namespace cairn::ft {

inline constexpr std::uint64_t kShardDataStart = 4096;

struct ShardSection {
  std::string name;
  std::uint64_t offset = 0;     // from kShardDataStart
  std::uint64_t bytes = 0;      // stored (compressed)
  std::uint64_t raw_bytes = 0;  // 4 x elements
  std::uint64_t xxh3 = 0;       // of the stored bytes
  std::uint64_t raw_xxh3 = 0;   // of the raw f32 bytes
};

struct ShardHeader {
  std::int64_t step = 0;
  int rank = 0, ranks = 1;
  std::int64_t first_element = 0, elements = 0, total_elements = 0;
  std::vector<ShardSection> sections;
  std::uint64_t header_xxh3 = 0;  // of the header text: what the manifest records
  std::uint64_t file_bytes = 0;
};

// The range rank `rank` of `ranks` writes of a buffer of `total` elements: an even split,
// the first (total % ranks) ranks one element more.
struct ElementRange {
  std::int64_t first = 0, count = 0;
};
ElementRange shard_range(std::int64_t total, int rank, int ranks);

// A stand-in for a full disk (--inject disk-full): the write fails with ENOSPC's message
// once `after_bytes` have been written.
struct WriteFault {
  std::uint64_t after_bytes = 0;
  std::string why;  // "--inject disk-full:step=3"
};

// Writes one shard through an AtomicFile (durable): nothing at PATH until commit().
class ShardWriter {
 public:
  ShardWriter(const std::string& path, ShardHeader header, int zstd_level, std::optional<WriteFault> fault);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  void begin_section(const std::string& name);
  void write(const void* raw, std::size_t bytes);  // compressed as it comes
  void end_section(std::uint64_t raw_xxh3);
  // Header in place, fsync, rename, fsync the directory. The header as written.
  ShardHeader commit();

 private:
  void put(const void* data, std::size_t bytes);
  void drain(int mode, const void* in, std::size_t bytes);
  std::string path_;
  ShardHeader header_;
  int level_;
  std::optional<WriteFault> fault_;
  std::unique_ptr<AtomicFile> out_;
  void* cctx_ = nullptr;
  void* hash_ = nullptr;  // XXH3 of the stored bytes of the open section
  std::vector<char> buffer_;
  std::uint64_t written_ = 0;  // file bytes after the data start
  bool open_section_ = false;
};

// Reads and checks the shard's header: preamble, header checksum, fields, the zero
// padding, and the file size against the section table. CorruptCheckpoint naming the file.
ShardHeader read_shard_header(const FileReader& in);

// Reads section `i` and checks both of its hashes and its size, decompressing into `out`
// (section.raw_bytes of room), or only checking when out is null.
void read_shard_section(const FileReader& in, const ShardHeader& h, std::size_t i, float* out);

// Every section of the shard at `path` checked (nothing kept): the writer's read-back.
ShardHeader verify_shard(const std::string& path);

}  // namespace cairn::ft

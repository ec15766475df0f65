// Text files -> one byte-level token shard: what `cairn data` runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::train {

struct TextShardStats {
  std::int64_t files = 0;
  std::uint64_t input_bytes = 0;
  std::uint64_t tokens = 0;
};

// Concatenates the files in order, each tokenised byte by byte (with fortune(6)'s "%"
// separator lines dropped when strip_fortune is set), into a shard at `output`.
// Missing, unreadable or empty inputs throw cairn::Error naming the file.
TextShardStats write_byte_shard(const std::vector<std::string>& inputs, const std::string& output,
                                bool strip_fortune);

}  // namespace cairn::train

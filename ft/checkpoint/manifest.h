// The manifest of a sharded checkpoint (docs/checkpoint-format.md, version 2): the file
// DIR/step-N.ckpt that makes step N count. Rank 0 writes it, atomically and durably, only
// once every rank's shard is durable and verified; it lists each shard with its size and
// the XXH3-64 of its header (which holds the sections' hashes), so a shard of another
// step, rank or write is caught. The preamble is version 1's (magic CAIRNCKP) with
// version 2, and a JSON header follows; nothing after it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json_io.h"
#include "ft/checkpoint/file_io.h"
#include "ft/checkpoint/shard_file.h"

namespace cairn::ft {

struct ShardEntry {
  std::string file;  // shard_file_name(step, rank, world): in the manifest's directory
  int rank = 0;
  std::int64_t first_element = 0, elements = 0;
  std::uint64_t bytes = 0;        // the file's size
  std::uint64_t header_xxh3 = 0;  // of its header text
};

struct Manifest {
  std::int64_t step = 0;
  int world_size = 1;
  std::int64_t layout_elements = 0;  // of each flat buffer
  std::vector<std::string> sections;  // their names, in order
  Json meta = Json::object();          // the caller's fields (model, settings), kept as given
  std::vector<ShardEntry> shards;      // rank order, covering [0, layout_elements)
};

ShardEntry shard_entry(const ShardHeader& h);

// AtomicFile, durable: the old file or the whole new one.
void write_manifest(const std::string& path, const Manifest& m);

// Reads and checks it: the preamble, the header checksum, the fields, shards that are
// exactly rank 0..world-1 with their even ranges and their own names. CorruptCheckpoint
// or cairn::Error (another version) naming the file.
Manifest read_manifest(const std::string& path);

// The format version in the preamble of a file that starts with CAIRNCKP (1: a single
// file, 2: a manifest); CorruptCheckpoint if it is too short or has another magic.
std::uint32_t checkpoint_version(const std::string& path);

// Every shard read, checked against the manifest and its own hashes, and its sections
// decompressed into out[i] (resized to layout_elements), whatever world wrote them.
// CorruptCheckpoint naming the shard and the manifest.
void read_manifest_state(const std::string& manifest_path, const Manifest& m, std::vector<std::vector<float>>& out);

}  // namespace cairn::ft

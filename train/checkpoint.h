// One checkpoint file: everything a run needs to continue bitwise where it stopped
// (docs/checkpoint-format.md). A fixed preamble (magic, format version, header length and
// its xxHash), a JSON header (step, seed, model shape, the training settings a resume
// must repeat, world size, and a table of sections), then the sections: params, adam.m
// and adam.v as raw little-endian f32 in ParameterLayout order, each with its own XXH3-64.
// Nothing else is needed: the data position and every random choice are functions of
// (seed, step).
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/json_io.h"
#include "ft/checkpoint/file_io.h"
#include "train/trainer.h"

namespace cairn::train {

inline constexpr std::uint32_t kCheckpointFormatVersion = 1;

// The file cannot be trusted: missing, truncated, bad magic, a checksum mismatch, a
// malformed header. A resume may fall back to an older checkpoint on this error, never
// on a plain cairn::Error (another format version, another model or settings), which
// needs the user. One type for both formats (ft/checkpoint reads the sharded one).
using CorruptCheckpoint = ft::CorruptCheckpoint;

// Version 2 (ft/checkpoint): a manifest DIR/step-N.ckpt and one zstd-compressed shard a
// rank; what runs write. Version 1 (this file's writer): one uncompressed file holding
// the whole state; still read, so a run written by an earlier cairn resumes.
inline constexpr std::uint32_t kShardedCheckpointFormatVersion = 2;

// The names of the state's flat buffers, in the order a checkpoint holds them.
inline constexpr const char* kStateSectionNames[] = {"params", "adam.m", "adam.v"};

// What the header says, besides the section table.
struct CheckpointInfo {
  std::uint32_t format_version = kCheckpointFormatVersion;
  std::int64_t step = 0;
  std::int64_t world_size = 1;  // ranks that wrote it; the data order depends on it
  std::int64_t layout_elements = 0;
  std::string model_shape_hash;  // model_shape_hash() of the model
  Json model;                    // to_json(ModelConfig)
  Json train;                    // resume_settings() of the run
  std::string device;            // where it trained (informative: resuming elsewhere is allowed)
};

struct Checkpoint {
  CheckpointInfo info;
  TrainState state;
};

// XXH3-64 of the model's shape (its JSON without the name), 16 hex digits.
std::string model_shape_hash(const ModelConfig& model);

// The TrainConfig fields a resume must repeat to continue bitwise (seed, batch, seq_len,
// steps — the learning-rate schedule depends on it —, AdamW, warmup, clipping). seq_len 0
// is resolved to the model's context.
Json resume_settings(const TrainConfig& cfg);

// The fields of a checkpoint's header or manifest that describe the run (model, shape
// hash, resume settings, device), for either format.
Json checkpoint_meta(const TrainConfig& cfg);

// Writes a single-file checkpoint (format version 1) atomically and durably
// (common/atomic_file.h): PATH is the old file or the whole new one, even after kill -9 or
// a power loss. state's buffers must be the layout's size. Runs write the sharded format
// (train/checkpoint_dir.h); this one stays for a whole state in one file.
void write_checkpoint(const std::string& path, const TrainConfig& cfg, const TrainState& state,
                      std::int64_t world_size = 1);

// Either format, by the version in its preamble: a version 1 file or a version 2
// manifest (whose shards are in the same directory).
// Reads the header or manifest only (cheap: no section or shard is read or verified).
CheckpointInfo read_checkpoint_info(const std::string& path);

// Reads and verifies everything (every shard of a manifest, whatever world wrote them).
// CorruptCheckpoint or cairn::Error, naming the file.
Checkpoint read_checkpoint(const std::string& path);

// cairn::Error naming the file and the first difference unless a run of `cfg` continues
// the checkpoint: the same model and resume settings. Another world size is allowed (any
// world reads every shard), but the data order then differs: see world_change_note.
void require_resumable(const CheckpointInfo& info, const TrainConfig& cfg, std::int64_t world_size,
                       const std::string& path);

// Empty when `world_size` is the checkpoint's; else what a resume on another world means
// (the sampler depends on rank and world: the data order changes, so the run is no longer
// the bitwise continuation of the one that wrote it).
std::string world_change_note(const CheckpointInfo& info, std::int64_t world_size, const std::string& path);

}  // namespace cairn::train

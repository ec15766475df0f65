// The checkpoints of one run in one directory, named by step: the manifest
// step-00000120.ckpt (or a single file of format version 1 under that name) and its
// shards step-00000120.shard-R-of-N (ft/checkpoint/checkpoint_names.h). Save with
// keep-last-K, list, and find the newest one that reads back whole. The directory holds
// one timeline: a fresh run refuses a directory that already has checkpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "train/checkpoint.h"

namespace cairn::train {

inline constexpr int kDefaultKeepCheckpoints = 2;

struct CheckpointFile {
  std::int64_t step = 0;
  std::string path;
};

std::string checkpoint_path(const std::string& dir, std::int64_t step);

// make_output_dir (common/output_dir.h) for --checkpoint-dir: only the last component is
// created, and it must be a directory.
void prepare_checkpoint_dir(const std::string& dir);

// How many checkpoints in dir were moved aside as damaged (NAME.corrupt).
int count_damaged_checkpoints(const std::string& dir);

// dir's checkpoints, oldest first. Unfinished writes (NAME.tmp.PID) and files moved aside
// (NAME.corrupt) are not listed; a missing directory lists none.
std::vector<CheckpointFile> list_checkpoints(const std::string& dir);

// Writes the checkpoint of state.step as one rank alone, synchronously, through the same
// writer a run uses (ft/checkpoint/async_checkpointer.h; prepare_checkpoint_dir first),
// then removes older ones beyond the newest `keep`, only once the new one is durable, so
// there is always a whole one. Returns the manifest's path; cairn::Error if the write
// failed (the directory then holds what it held before).
std::string save_checkpoint(const std::string& dir, const TrainConfig& cfg, const TrainState& state,
                            int keep = kDefaultKeepCheckpoints);

struct ResumePoint {
  std::string path;
  Checkpoint checkpoint;
};

// A checkpoint (or a leftover file) passed over on the way to the resume point, and why
// (a whole message that names the file).
using SkipReport = std::function<void(const std::string& path, const std::string& why)>;

// The newest checkpoint in dir that reads back whole, or nullopt if there is none. Each
// newer one that fails its integrity checks (CorruptCheckpoint: its manifest or any of
// its shards), or whose header holds another step than its name says (a renamed or
// copied file), is renamed PATH.corrupt with its shards, kept for inspection and never
// read again, and reported; so are removed leftovers of writes that were killed
// (NAME.tmp.PID, and shards of a step without a manifest). A whole checkpoint that a run of cfg cannot continue bitwise
// (another model, settings or world size) throws cairn::Error: that needs the user; so
// does a file that cannot be read for a reason that is not damage (permission denied, an
// I/O error), which is left where it is.
// tidy false (every data-parallel rank but one): pass over the same files, touch nothing.
std::optional<ResumePoint> load_latest_checkpoint(const std::string& dir, const TrainConfig& cfg,
                                                  std::int64_t world_size, const SkipReport& report,
                                                  bool tidy = true);

}  // namespace cairn::train

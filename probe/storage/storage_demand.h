// What a run demands of its storage, and the verdict: the headroom ratio measured /
// demanded for each figure a demand applies to (docs/storage.md).
//
//   read demand  = tokens/s per GPU x GPUs x bytes per token          (the loader, steady state)
//   write demand = checkpoint bytes / (interval x kCheckpointWriteFraction)
//
// Both the sequential and the random read figures are held to the read demand: the loader
// reads sequence-sized windows in a pseudo-random order (docs/data-format.md#sampling),
// and reads ahead in large blocks where it can.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "probe/storage/storage_probe.h"

namespace cairn::probe::storage {

// A checkpoint may take at most this share of the interval between checkpoints: the
// Apertus run's lesson was checkpoints that blocked training for ~40 s. At 10 % a run
// that checkpoints every 10 minutes spends at most a minute of each interval writing,
// and an asynchronous writer (ft/checkpoint) has nine tenths of it to spare.
inline constexpr double kCheckpointWriteFraction = 0.10;

// Bytes a checkpoint of a model holds: f32 master weights and both AdamW moments, 12
// bytes a parameter (docs/checkpoint-format.md; version 2 compresses them with zstd, and
// f32 values compress little, so this is the bound to plan for).
inline constexpr std::uint64_t kCheckpointBytesPerParameter = 4 + 4 + 4;
std::uint64_t checkpoint_bytes_for_parameters(std::int64_t parameters);

struct StorageDemand {
  // The read side: both or neither.
  std::optional<double> tokens_per_s_per_gpu;
  std::optional<int> gpus;
  int bytes_per_token = 4;  // token shards of a vocabulary above 2^16 store 4 (train/data/token_shard.h)
  // The write side: both or neither.
  std::optional<std::uint64_t> checkpoint_bytes;
  std::optional<double> checkpoint_every_s;
  std::string checkpoint_source = "--checkpoint-bytes";  // or "preset apertus-70b (70.6e9 parameters)"

  std::optional<double> read_gb_s() const;  // 10^9 bytes/s
  std::optional<double> write_gb_s() const;
};

// Throws cairn::Error naming the flag for a half-given side or a value out of range.
void validate(const StorageDemand& d);

struct FigureVerdict {
  std::string figure;  // "sequential_read", "random_read", "write"
  double measured_gb_s = 0;
  double demanded_gb_s = 0;
  double headroom = 0;  // measured / demanded; pass when >= 1
  bool pass = false;
};

// One entry for each figure the demand applies to (none when no demand was given).
std::vector<FigureVerdict> judge(const StorageFigures& f, const StorageDemand& d);
bool all_pass(const std::vector<FigureVerdict>& v);

}  // namespace cairn::probe::storage

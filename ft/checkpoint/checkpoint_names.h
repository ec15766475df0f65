// The names of a checkpoint's files in its directory (docs/checkpoint-format.md): the
// manifest step-00000040.ckpt, whose presence makes the step count, and one shard a
// rank, step-00000040.shard-1-of-4, written before it. One place, so that the writer,
// the pruning of old steps and a resume's tidying agree on what belongs to a step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cairn::ft {

inline constexpr const char* kManifestSuffix = ".ckpt";
inline constexpr const char* kDamagedSuffix = ".corrupt";

// DIR/step-<8 digits>.ckpt
std::string manifest_path(const std::string& dir, std::int64_t step);
// step-<8 digits>.shard-R-of-N (a file name, not a path: the manifest lists it so).
std::string shard_file_name(std::int64_t step, int rank, int ranks);
std::string shard_path(const std::string& dir, std::int64_t step, int rank, int ranks);

// The step of a manifest name "step-<digits>.ckpt", or nullopt for any other name.
std::optional<std::int64_t> manifest_step(const std::string& name);
// The step of a shard name "step-<digits>.shard-R-of-N", or nullopt.
std::optional<std::int64_t> shard_step(const std::string& name);
// The step a name of either kind belongs to (the manifest, a shard, or either followed by
// ".tmp.PID" or ".corrupt"), or nullopt: what pruning and tidying go by.
std::optional<std::int64_t> step_of_any(const std::string& name);

}  // namespace cairn::ft

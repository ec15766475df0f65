// The probe's access patterns, each timed across its threads from a common start to the
// last thread's end (the aggregate figure fio reports with group_reporting).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "probe/storage/storage_probe.h"

namespace cairn::probe::storage {

class ScratchDir;

// Seconds for the checkpointer's commit of one file a thread: write `file_bytes` in blocks
// to NAME.tmp, fsync, rename to NAME, fsync the directory. Returns the final paths in
// `files`.
double time_checkpoint_writes(const ScratchDir& dir, const StorageOptions& o, std::uint64_t file_bytes,
                              std::vector<std::string>& files);

// Seconds to read each thread's file whole in blocks.
double time_sequential_reads(const std::vector<std::string>& files, std::uint64_t file_bytes,
                             const StorageOptions& o);

// Seconds to read every piece of each thread's file once, in a random order.
double time_random_reads(const std::vector<std::string>& files, std::uint64_t file_bytes, const StorageOptions& o);

struct SmallFileSeconds {
  double create = 0, stat = 0, open = 0;
};
SmallFileSeconds time_small_files(const ScratchDir& dir, const StorageOptions& o);

}  // namespace cairn::probe::storage

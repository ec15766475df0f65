#include "probe/storage/storage_probe.h"

#include <fmt/format.h>

#include "common/error.h"
#include "probe/storage/access_patterns.h"
#include "probe/storage/scratch_dir.h"
#include "probe/storage/stop_signals.h"

namespace cairn::probe::storage {
namespace {

constexpr std::uint64_t kDirectMultiple = 4096;  // O_DIRECT's alignment (access_patterns.cpp)

// Above this the threads are not readers of one node any more but a typo.
constexpr int kMaxThreads = 1024;
constexpr int kMaxSmallFiles = 10'000'000;

double gb_s(std::uint64_t bytes, double seconds) { return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e9 : 0; }

}  // namespace

void validate(const StorageOptions& o) {
  if (o.threads < 1 || o.threads > kMaxThreads)
    throw Error(fmt::format("--threads {} is out of range: give 1 to {}", o.threads, kMaxThreads));
  if (o.small_files < 1 || o.small_files > kMaxSmallFiles)
    throw Error(fmt::format("--small-files {} is out of range: give 1 to {}", o.small_files, kMaxSmallFiles));
  if (o.block_bytes == 0) throw Error("--block-bytes must be above 0");
  if (o.piece_bytes == 0) throw Error("--piece-bytes must be above 0");
  if (o.small_file_bytes == 0) throw Error("--small-file-bytes must be above 0");
  if (o.total_bytes / static_cast<std::uint64_t>(o.threads) < o.block_bytes)
    throw Error(fmt::format("--size {} gives each of the {} threads less than one block of --block-bytes {}: give a "
                            "larger --size or fewer --threads", o.total_bytes, o.threads, o.block_bytes));
  if (o.piece_bytes > o.total_bytes / static_cast<std::uint64_t>(o.threads))
    throw Error(fmt::format("--piece-bytes {} is larger than each thread's file: give a smaller piece or a larger --size",
                            o.piece_bytes));
  if (o.direct)
    for (const auto& [flag, value] : {std::pair{"--block-bytes", o.block_bytes}, std::pair{"--piece-bytes", o.piece_bytes},
                                      std::pair{"--small-file-bytes", o.small_file_bytes}})
      if (value % kDirectMultiple != 0)
        throw Error(fmt::format("{} {} is not a multiple of {}, which --direct (O_DIRECT) needs", flag, value,
                                kDirectMultiple));
}

std::uint64_t needed_bytes(const StorageOptions& o) {
  const std::uint64_t threads = static_cast<std::uint64_t>(o.threads);
  const std::uint64_t large = o.total_bytes / threads / o.block_bytes * o.block_bytes * threads;
  return large + static_cast<std::uint64_t>(o.small_files) * o.small_file_bytes;
}

StorageFigures measure_storage(const StorageOptions& o) {
  validate(o);
  check_probe_path(o.path, needed_bytes(o));
  StopSignals signals;
  ScratchDir dir(o.path);

  StorageFigures f;
  // Whole blocks a thread, so every read and write is a full block.
  f.file_bytes = o.total_bytes / static_cast<std::uint64_t>(o.threads) / o.block_bytes * o.block_bytes;
  const std::uint64_t all_bytes = f.file_bytes * static_cast<std::uint64_t>(o.threads);
  std::vector<std::string> files;
  f.write_gb_s = gb_s(all_bytes, time_checkpoint_writes(dir, o, f.file_bytes, files));
  f.sequential_read_gb_s = gb_s(all_bytes, time_sequential_reads(files, f.file_bytes, o));
  const std::uint64_t pieces = f.file_bytes / o.piece_bytes * static_cast<std::uint64_t>(o.threads);
  const double random_s = time_random_reads(files, f.file_bytes, o);
  f.random_read_gb_s = gb_s(pieces * o.piece_bytes, random_s);
  f.random_read_iops = random_s > 0 ? static_cast<double>(pieces) / random_s : 0;
  const SmallFileSeconds s = time_small_files(dir, o);
  auto rate = [&](double seconds) { return seconds > 0 ? o.small_files / seconds : 0; };
  f.create_per_s = rate(s.create);
  f.stat_per_s = rate(s.stat);
  f.open_per_s = rate(s.open);
  return f;
}

}  // namespace cairn::probe::storage

// `cairn probe storage PATH`: what the filesystem under PATH delivers for the four ways a
// training run uses it (docs/storage.md): the data loader's sequential reads of large token
// shards and its random reads of sequence-sized pieces, the opens and stats of many small
// shards, and the checkpointer's write, fsync and rename of large files.
#pragma once

#include <cstdint>
#include <string>

namespace cairn::probe::storage {

struct StorageOptions {
  std::string path;                            // the directory to probe (a scratch directory goes under it)
  int threads = 4;                             // readers and writers, each with a file of its own
  std::uint64_t total_bytes = 1ULL << 30;      // --size: the large files, all threads together
  std::uint64_t block_bytes = 1ULL << 20;      // sequential reads and writes (the loader reads 1 MiB)
  std::uint64_t piece_bytes = 16ULL << 10;     // random reads: 4096 tokens of 4 bytes
  int small_files = 2000;                      // the many-small-shards pattern
  std::uint64_t small_file_bytes = 4ULL << 10;
  bool direct = false;                         // O_DIRECT: around the page cache rather than dropping it
  bool progress = false;                       // a progress bar (drawn only on a terminal)
};

// Throws cairn::Error naming the flag unless the sizes fit together: at least one block a
// thread, pieces no larger than a file, and with --direct every size a multiple of 4096.
void validate(const StorageOptions& o);

// Bytes the probe writes at most, for the free-space check before it starts.
std::uint64_t needed_bytes(const StorageOptions& o);

struct StorageFigures {
  std::uint64_t file_bytes = 0;  // each thread's large file
  double write_gb_s = 0;         // write, fsync, rename, fsync of the directory: all threads
  double sequential_read_gb_s = 0;
  double random_read_gb_s = 0;
  double random_read_iops = 0;
  double create_per_s = 0;  // create, write, close of a small file
  double stat_per_s = 0;
  double open_per_s = 0;  // open and close
};

// Measures, in a scratch directory under o.path that is gone when it returns or throws.
// cairn::Error for a path it cannot use, a filesystem that refuses O_DIRECT or runs full,
// and for SIGINT or SIGTERM (naming the pattern it interrupted).
StorageFigures measure_storage(const StorageOptions& o);

}  // namespace cairn::probe::storage

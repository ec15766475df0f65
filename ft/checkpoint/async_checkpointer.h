// Asynchronous, sharded, verified checkpoints (docs/checkpoint-format.md, docs/ft.md):
// save() waits for the previous save to end, copies this rank's shard of the state into
// bounded staging memory (hashing each buffer's bytes with XXH3-64 as it copies) and
// returns: training goes on while a background thread compresses (zstd) and writes the
// shard, fsyncs it, reads it back, and reports it; rank 0 then writes the manifest that
// makes the step count, once every rank's shard is durable, and removes steps beyond the
// newest `keep`. Nothing of a step counts before its manifest is durable: a kill at any
// moment leaves the previous checkpoints whole.
//
// Staging is bounded (--checkpoint-staging-mb): a shard larger than the bound is staged
// in pieces, the copy waiting for the writer to free a piece, so training stalls for the
// write of all but the last `bound` bytes instead of being refused: a bound too small for
// an asynchronous save still checkpoints, only slower, and the stall it measures feeds
// the Young/Daly interval like any other.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/json_io.h"
#include "ft/checkpoint/commit_channel.h"
#include "ft/checkpoint/shard_file.h"
#include "ft/checkpoint/staging.h"
#include "ft/inject/fault_spec.h"

namespace cairn::ft {

// One flat buffer of the state: total_elements floats, read only during save().
struct StateBuffer {
  std::string name;
  const float* data = nullptr;
  // data is GPU memory (CUDA builds), the device's work on it done: staged with a copy
  // from the device straight into the (pinned) staging chunks, so a GPU's save stalls
  // for that copy alone.
  bool on_device = false;
};

struct SaveRequest {
  std::int64_t step = 0;  // optimizer steps taken: the checkpoint's name
  std::int64_t total_elements = 0;
  std::vector<StateBuffer> buffers;
  Json meta = Json::object();  // rank 0: the caller's manifest fields (model, settings)
};

struct SaveOutcome {
  std::int64_t step = 0;
  bool committed = false;  // the manifest is durable and every shard read back whole
  std::string manifest;    // its path
  std::string error;       // !committed: why, naming the file or rank and the fix
  std::string injected;    // what an --inject fault did to it, for the log; empty: none
  double stall_s = 0;      // what training waited: the previous save, then the staging copy
  double wait_s = 0;       // the part of stall_s spent waiting for the previous save's write
  double write_s = 0;      // background: from the end of staging to the verdict
  std::uint64_t raw_bytes = 0, stored_bytes = 0;  // this rank's shard
};

struct CheckpointerOptions {
  std::string dir;
  int rank = 0, ranks = 1;
  int keep = 2;                      // steps kept after a commit (>= 1)
  std::uint64_t staging_bytes = 0;   // the bound on staging memory; 0: the whole shard
  bool pinned = false;               // page-locked staging (CUDA builds)
  int zstd_level = 1;                // fast: the write must keep up with the interval
  std::vector<FaultSpec> faults;     // corrupt-checkpoint and disk-full apply here
  std::shared_ptr<CommitChannel> channel;  // null: one rank alone
};

class AsyncCheckpointer {
 public:
  explicit AsyncCheckpointer(CheckpointerOptions o);
  // Waits for the save in flight to reach its verdict (a wait for other ranks' reports
  // is cut short after 30 s: a peer may be gone), then stops.
  ~AsyncCheckpointer();
  AsyncCheckpointer(const AsyncCheckpointer&) = delete;
  AsyncCheckpointer& operator=(const AsyncCheckpointer&) = delete;

  // Takes the staging memory a save of `total_elements` x `buffers` floats needs (this
  // rank's shard) now, before training: pinning gigabytes takes seconds, which the first
  // save would otherwise stall for.
  void reserve(std::int64_t total_elements, std::size_t buffers);
  // Returns the stall in seconds, once the buffers may change again.
  double save(const SaveRequest& r);
  // Saves that reached their verdict since the last call, oldest first.
  std::vector<SaveOutcome> take_outcomes();
  // Until no save is in flight.
  void wait();
  // The staging memory now held (after the first save).
  std::uint64_t staging_capacity() const { return slab_.size(); }

 private:
  struct Piece {
    std::size_t section = 0;
    char* data = nullptr;  // a staging chunk; null on the section's end marker
    std::size_t bytes = 0;
    bool end = false;
  };
  struct Job {
    std::int64_t step = 0;
    std::int64_t total_elements = 0;
    ElementRange range;
    std::vector<std::string> names;
    Json meta;
    std::deque<Piece> pieces;
    std::chrono::steady_clock::time_point staged_at;
    bool staged = false;
    double stall_s = 0, wait_s = 0;
  };

  void ensure_slab(std::uint64_t shard_bytes);
  char* acquire_chunk();
  static void copy_to_staging(char* chunk, const char* src, std::size_t bytes, bool on_device);
  void push(Piece p);
  Piece pop();
  void writer_loop();
  void run_job(Job& job);
  std::optional<WriteFault> disk_full_fault(std::int64_t step, std::uint64_t shard_bytes) const;
  std::string corrupt_if_asked(const Job& job, const ShardHeader& mine) const;
  void prune(std::int64_t newest) const;
  void remove_step(std::int64_t step) const;

  CheckpointerOptions o_;
  StagingSlab slab_;
  std::size_t chunk_bytes_ = 0;
  std::vector<char*> free_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<Job> job_;  // the save in flight
  bool stopping_ = false;
  std::atomic<bool> stop_polls_{false};
  std::vector<SaveOutcome> outcomes_;
  std::thread writer_;
};

}  // namespace cairn::ft

// Batches read ahead by a background thread: while step s trains, steps s+1 .. s+depth
// are cut from the memory-mapped shard (page faults and copies off the critical path).
// Batches come out in step order and are a pure function of (sampler, step), so
// prefetching changes nothing about what is trained on.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "train/data/sampler.h"
#include "train/data/token_shard.h"

namespace cairn::train {

struct TokenBatch {
  std::int64_t step = 0;
  std::int64_t batch = 0, seq_len = 0;
  std::vector<std::int32_t> inputs;   // [batch, seq_len]
  std::vector<std::int32_t> targets;  // [batch, seq_len], inputs shifted by one
};

// The batch of one step, read synchronously (what the loader thread runs).
TokenBatch read_batch(const TokenShard& shard, const SequenceSampler& sampler,
                      const SamplerConfig& cfg, std::int64_t step);

class DataLoader {
 public:
  // Serves steps first_step, first_step + 1, ... of `cfg`'s rank; keeps up to `depth`
  // batches ready. The shard must outlive the loader.
  DataLoader(const TokenShard& shard, const SamplerConfig& cfg, std::int64_t first_step,
             int depth = 2);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // The next step's batch; blocks until it is ready. Rethrows a reader error.
  TokenBatch next();

 private:
  void run();
  const TokenShard& shard_;
  SamplerConfig cfg_;
  SequenceSampler sampler_;
  int depth_;
  std::int64_t next_to_read_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TokenBatch> ready_;
  std::exception_ptr error_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after every other member is ready
};

}  // namespace cairn::train

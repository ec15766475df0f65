// Which token windows a rank reads at a step: a pure function of (seed, step, rank), so
// data-parallel ranks read disjoint samples and a resumed run reads exactly what the
// uninterrupted one would have (the data position is the step; no state to save).
//
// The shard is cut into W = (tokens - 1) / seq_len windows of seq_len + 1 tokens
// (inputs, and targets shifted by one). Global sample c of step s is
//   c = s * batch * world + rank * batch + b          (b < batch, this rank's rows)
// and reads window perm_e(c mod W) of epoch e = c / W, where perm_e is a keyed
// pseudo-random permutation of [0, W) (a 4-round Feistel network over the next power of
// four, cycle-walked into range; Black & Rogaway 2002). Within an epoch no window
// repeats; a world of R ranks with batch B reads the same windows as one rank with
// batch R*B, in the same order.
#pragma once

#include <cstdint>

namespace cairn::train {

struct SamplerConfig {
  std::uint64_t seed = 0;
  std::int64_t seq_len = 0;
  std::int64_t batch = 0;  // sequences per rank per step
  int rank = 0;
  int world = 1;
};

class SequenceSampler {
 public:
  // token_count: tokens in the shard (cairn::Error if it holds no full window).
  SequenceSampler(const SamplerConfig& cfg, std::uint64_t token_count);

  std::uint64_t windows() const { return windows_; }
  // First token of row b (< batch) of this rank at step: inputs are tokens
  // [start, start + seq_len), targets [start + 1, start + seq_len + 1).
  std::uint64_t window_start(std::int64_t step, std::int64_t b) const;
  // The permutation itself: window of global sample c.
  std::uint64_t window_of_sample(std::uint64_t c) const;

 private:
  std::uint64_t permute(std::uint64_t epoch, std::uint64_t i) const;
  SamplerConfig cfg_;
  std::uint64_t windows_ = 0;
  int half_bits_ = 1;  // the Feistel domain is 2^(2*half_bits) >= windows
};

}  // namespace cairn::train

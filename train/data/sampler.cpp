#include "train/data/sampler.h"

#include <string>

#include "common/error.h"
#include "train/rng.h"

namespace cairn::train {

SequenceSampler::SequenceSampler(const SamplerConfig& cfg, std::uint64_t token_count) : cfg_(cfg) {
  if (cfg.seq_len <= 0 || cfg.batch <= 0 || cfg.world <= 0 || cfg.rank < 0 || cfg.rank >= cfg.world)
    throw Error("sampler: needs seq_len > 0, batch > 0 and 0 <= rank < world (got seq_len " +
                std::to_string(cfg.seq_len) + ", batch " + std::to_string(cfg.batch) + ", rank " +
                std::to_string(cfg.rank) + ", world " + std::to_string(cfg.world) + ")");
  const auto T = static_cast<std::uint64_t>(cfg.seq_len);
  windows_ = token_count > 0 ? (token_count - 1) / T : 0;
  if (windows_ == 0)
    throw Error("data: " + std::to_string(token_count) + " tokens hold no window of " +
                std::to_string(T + 1) + " tokens (use more text or a shorter sequence length)");
  while ((std::uint64_t{1} << (2 * half_bits_)) < windows_) ++half_bits_;
}

std::uint64_t SequenceSampler::permute(std::uint64_t epoch, std::uint64_t i) const {
  const std::uint64_t mask = (std::uint64_t{1} << half_bits_) - 1;
  // Cycle walking: the Feistel network permutes [0, 4^half_bits); applying it until the
  // value falls below W permutes [0, W). At most ~4 rounds on average since 4^h < 4W.
  std::uint64_t x = i;
  do {
    std::uint64_t l = x >> half_bits_, r = x & mask;
    for (std::uint64_t round = 0; round < 4; ++round) {
      const std::uint64_t f = hash3(cfg_.seed, (epoch << 2) | round, r) & mask;
      const std::uint64_t nl = r;
      r = l ^ f;
      l = nl;
    }
    x = (l << half_bits_) | r;
  } while (x >= windows_);
  return x;
}

std::uint64_t SequenceSampler::window_of_sample(std::uint64_t c) const {
  return permute(c / windows_, c % windows_);
}

std::uint64_t SequenceSampler::window_start(std::int64_t step, std::int64_t b) const {
  if (step < 0 || b < 0 || b >= cfg_.batch)
    throw Error("sampler: row " + std::to_string(b) + " of step " + std::to_string(step) + " is out of range");
  const auto per_step = static_cast<std::uint64_t>(cfg_.batch) * static_cast<std::uint64_t>(cfg_.world);
  const std::uint64_t c = static_cast<std::uint64_t>(step) * per_step +
                          static_cast<std::uint64_t>(cfg_.rank) * static_cast<std::uint64_t>(cfg_.batch) +
                          static_cast<std::uint64_t>(b);
  return window_of_sample(c) * static_cast<std::uint64_t>(cfg_.seq_len);
}

}  // namespace cairn::train

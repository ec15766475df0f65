// What the training-loop tests share: whether this is a sanitizer build (which runs the
// loop ~15x slower, so convergence runs are left to the plain build), the fortunes corpus
// as one shard with the training setup used on it, and the unigram entropy the trained
// loss is held against.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

#include <gtest/gtest.h>

#include "tests/train/fortunes_corpus.h"
#include "train/data/text_shard.h"
#include "train/data/token_shard.h"
#include "train/trainer.h"

namespace cairn::train::test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

// H = -sum_v p_v ln p_v over the byte frequencies of the whole shard, in nats (the unit
// of the cross-entropy loss): what a model that ignores context can reach at best.
inline double unigram_entropy_nats(const TokenShard& shard) {
  std::array<double, 256> count{};
  for (std::uint64_t i = 0; i < shard.size(); ++i) count[shard.token(i)] += 1;
  double h = 0;
  for (double c : count)
    if (c > 0) {
      const double p = c / static_cast<double>(shard.size());
      h -= p * std::log(p);
    }
  return h;
}

// A suite on the whole fortunes corpus, written once as a byte shard.
class FortunesShardTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("fortunes");
    const auto files = fortune_files();
    ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
    write_byte_shard(files, dir_->file("fortunes.bin"), true);
    shard_ = new TokenShard(dir_->file("fortunes.bin"));
  }
  static void TearDownTestSuite() {
    delete shard_;
    delete dir_;
  }
  // Batch 16 of 64 tokens, seed 1, peak lr 3e-3 after 20 warmup steps.
  static TrainConfig fortunes_config(const char* preset_name, std::int64_t steps) {
    TrainConfig c;
    c.model = preset(preset_name);
    c.steps = steps;
    c.batch = 16;
    c.seq_len = 64;
    c.seed = 1;
    c.adamw.lr = 3e-3;
    c.warmup_steps = 20;
    return c;
  }
  inline static TempDir* dir_ = nullptr;
  inline static TokenShard* shard_ = nullptr;
};

}  // namespace cairn::train::test

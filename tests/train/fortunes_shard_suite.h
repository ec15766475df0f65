// A test suite over one byte shard of the fortunes corpus, made once per suite in a
// temporary directory the tests may also write to, with one CPU thread so CPU runs are
// bitwise repeatable.
#pragma once

#include <gtest/gtest.h>

#include "tests/train/fortunes_corpus.h"
#include "train/cpu/parallel.h"
#include "train/data/text_shard.h"
#include "train/data/token_shard.h"
#include "train/trainer.h"

namespace cairn::train::test {

class FortunesShardSuite : public ::testing::Test {
 protected:
  // `tiny` on batches of 2 x 32 tokens: steps that take milliseconds on one CPU thread.
  static TrainConfig tiny_run(std::int64_t steps, std::uint64_t seed, std::int64_t warmup_steps) {
    TrainConfig c;
    c.model = preset("tiny");
    c.steps = steps;
    c.batch = 2;
    c.seq_len = 32;
    c.seed = seed;
    c.warmup_steps = warmup_steps;
    return c;
  }
  static void SetUpTestSuite() {
    dir_ = new TempDir("fortunes_suite");
    const auto files = fortune_files();
    ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
    write_byte_shard(files, dir_->file("fortunes.bin"), true);
    shard_ = new TokenShard(dir_->file("fortunes.bin"));
    cpu::set_cpu_threads(1);
  }
  static void TearDownTestSuite() {
    cpu::set_cpu_threads(0);
    delete shard_;
    delete dir_;
    shard_ = nullptr;
    dir_ = nullptr;
  }
  inline static TempDir* dir_ = nullptr;
  inline static TokenShard* shard_ = nullptr;
};

}  // namespace cairn::train::test

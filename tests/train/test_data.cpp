// Token shards (format, errors), the byte tokenizer on real fortune text, the
// deterministic sampler (disjoint ranks, exact resume) and the prefetching loader.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <set>

#include "common/error.h"
#include "common/text_file.h"
#include "tests/train/fortunes_corpus.h"
#include "train/data/byte_tokenizer.h"
#include "train/data/loader.h"
#include "train/data/sampler.h"
#include "train/data/text_shard.h"
#include "train/data/token_shard.h"

namespace cairn::train {
namespace {

using test::TempDir;

std::vector<std::uint32_t> ramp(std::size_t n, std::uint32_t vocab) {
  std::vector<std::uint32_t> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<std::uint32_t>((i * 2654435761u) % vocab);
  return t;
}

TEST(TokenShard, RoundTripsEveryWidth) {
  TempDir dir("shard");
  for (std::uint32_t vocab : {256u, 50000u, 131072u}) {
    const std::string path = dir.file("s" + std::to_string(vocab) + ".bin");
    const auto tokens = ramp(1000, vocab);
    TokenShardWriter w(path, vocab);
    w.append(tokens.data(), 600);
    w.append(tokens.data() + 600, 400);
    w.finish();
    const TokenShard s(path);
    EXPECT_EQ(s.size(), 1000u);
    EXPECT_EQ(s.vocab_size(), vocab);
    EXPECT_EQ(s.token_width(), vocab == 256 ? 1u : vocab == 50000 ? 2u : 4u);
    EXPECT_EQ(std::filesystem::file_size(path), 32 + 1000 * s.token_width());
    for (std::size_t i = 0; i < tokens.size(); ++i) ASSERT_EQ(s.token(i), tokens[i]) << i;
    std::vector<std::int32_t> part(10);
    s.read(990, 10, part.data());
    EXPECT_EQ(static_cast<std::uint32_t>(part[9]), tokens[999]);
    EXPECT_THROW(s.read(995, 10, part.data()), Error);
  }
  // The header bytes are exactly the documented layout (docs/data-format.md).
  const std::string raw = read_text_file(dir.file("s50000.bin"));
  EXPECT_EQ(raw.substr(0, 8), "CAIRNTOK");
  EXPECT_EQ(raw[8], 1);     // version, little-endian u32
  EXPECT_EQ(raw[12], 2);    // width
  EXPECT_EQ(static_cast<unsigned char>(raw[16]), 1000 % 256);  // count
  EXPECT_EQ(static_cast<unsigned char>(raw[17]), 1000 / 256);
  EXPECT_EQ(static_cast<unsigned char>(raw[24]), 50000 % 256);  // vocab
}

TEST(TokenShard, WriterRejectsTokensOutsideTheVocabularyAndLeavesNoFile) {
  TempDir dir("shard_bad");
  const std::string path = dir.file("s.bin");
  {
    TokenShardWriter w(path, 256);
    const std::vector<std::uint32_t> bad = {1, 256};
    EXPECT_THROW(w.append(bad), Error);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(std::filesystem::path(path).parent_path()));  // no temporary left
}

TEST(TokenShard, ReaderErrorsNameTheFileAndTheProblem) {
  TempDir dir("shard_err");
  const std::string good = dir.file("good.bin");
  TokenShardWriter w(good, 256);
  w.append(ramp(100, 256));
  w.finish();
  const std::string bytes = read_text_file(good);
  auto expect_error = [&](const std::string& contents, const std::string& needle) {
    const std::string path = dir.file("bad.bin");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
    try {
      TokenShard s(path);
      ADD_FAILURE() << "expected an error mentioning '" << needle << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  std::string wrong_magic = bytes;
  wrong_magic[0] = 'X';
  expect_error(wrong_magic, "CAIRNTOK");
  std::string wrong_version = bytes;
  wrong_version[8] = 2;
  expect_error(wrong_version, "version 2");
  std::string wrong_width = bytes;
  wrong_width[12] = 3;
  expect_error(wrong_width, "width 3");
  expect_error(bytes.substr(0, bytes.size() - 1), "truncated");
  expect_error(bytes + "x", "trailing");
  expect_error(bytes.substr(0, 20), "header");
  expect_error("", "header");
  try {
    TokenShard s(dir.file("missing.bin"));
    ADD_FAILURE() << "missing file accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.bin"), std::string::npos);
  }
}

TEST(ByteTokenizer, FortuneSeparatorsAreStrippedAndTextRoundTrips) {
  EXPECT_EQ(strip_fortune_separators("one\n%\ntwo\nlines\n%\n%x\n%"), "one\ntwo\nlines\n%x\n");
  const std::string text = "caf\xc3\xa9 \x01\xff";
  EXPECT_EQ(byte_detokenize(byte_tokenize(text)), text);
  EXPECT_EQ(byte_tokenize(text)[7], 255u);
}

TEST(ByteTokenizer, FortunesCorpusBecomesAShard) {
  const auto files = test::fortune_files();
  ASSERT_GE(files.size(), 10u) << "the fortunes package is missing: run scripts/deps.sh";
  TempDir dir("fortunes");
  const auto stats = write_byte_shard(files, dir.file("f.bin"), true);
  const TokenShard s(dir.file("f.bin"));
  EXPECT_EQ(s.size(), stats.tokens);
  EXPECT_GT(stats.tokens, 1000000u);
  std::uint64_t stripped = 0;
  for (const auto& f : files) stripped += strip_fortune_separators(read_text_file(f)).size();
  EXPECT_EQ(stats.tokens, stripped);
  EXPECT_LT(stats.tokens, stats.input_bytes);  // the separators are gone
  // The shard starts with the first file's text.
  const std::string first = strip_fortune_separators(read_text_file(files[0]));
  for (std::size_t i = 0; i < 64; ++i) ASSERT_EQ(s.token(i), static_cast<unsigned char>(first[i]));
  EXPECT_THROW(write_byte_shard({dir.file("nope.txt")}, dir.file("g.bin"), true), Error);
}

TEST(Sampler, EveryWindowOncePerEpochAndRanksDisjoint) {
  const std::uint64_t tokens = 1 + 37 * 16;  // 37 windows of 16 (+1) tokens
  SamplerConfig cfg{.seed = 9, .seq_len = 16, .batch = 3, .rank = 0, .world = 2};
  const SequenceSampler r0(cfg, tokens);
  cfg.rank = 1;
  const SequenceSampler r1(cfg, tokens);
  EXPECT_EQ(r0.windows(), 37u);
  std::set<std::uint64_t> seen;
  for (std::uint64_t c = 0; c < 37; ++c) seen.insert(r0.window_of_sample(c));
  EXPECT_EQ(seen.size(), 37u) << "an epoch must be a permutation of the windows";
  EXPECT_EQ(*seen.rbegin(), 36u);
  // Within a step, the two ranks' rows never coincide (6 samples < 37 windows).
  for (std::int64_t step = 0; step < 6; ++step) {
    std::set<std::uint64_t> rows;
    for (std::int64_t b = 0; b < 3; ++b) {
      rows.insert(r0.window_start(step, b));
      rows.insert(r1.window_start(step, b));
      EXPECT_LE(r0.window_start(step, b) + 17, tokens);
    }
    EXPECT_EQ(rows.size(), 6u) << "step " << step;
  }
  // Two ranks of batch 3 read what one rank of batch 6 reads, row for row.
  const SequenceSampler one({.seed = 9, .seq_len = 16, .batch = 6, .rank = 0, .world = 1}, tokens);
  for (std::int64_t step = 0; step < 10; ++step)
    for (std::int64_t b = 0; b < 3; ++b) {
      EXPECT_EQ(r0.window_start(step, b), one.window_start(step, b));
      EXPECT_EQ(r1.window_start(step, b), one.window_start(step, b + 3));
    }
  // Another seed, another order; another epoch, another order.
  const SequenceSampler other({.seed = 10, .seq_len = 16, .batch = 6}, tokens);
  int same_seed = 0, same_epoch = 0;
  for (std::uint64_t c = 0; c < 37; ++c) {
    same_seed += other.window_of_sample(c) == one.window_of_sample(c);
    same_epoch += one.window_of_sample(c) == one.window_of_sample(c + 37);
  }
  EXPECT_LT(same_seed, 10);
  EXPECT_LT(same_epoch, 10);
  EXPECT_THROW(SequenceSampler({.seed = 0, .seq_len = 16, .batch = 1}, 16), Error);
}

TEST(DataLoader, PrefetchedBatchesEqualDirectReadsAndResumeExactly) {
  TempDir dir("loader");
  const std::string path = dir.file("s.bin");
  {
    TokenShardWriter w(path, 256);
    w.append(ramp(5000, 256));
    w.finish();
  }
  const TokenShard shard(path);
  const SamplerConfig cfg{.seed = 4, .seq_len = 32, .batch = 4};
  const SequenceSampler sampler(cfg, shard.size());
  std::vector<TokenBatch> fresh;
  {
    DataLoader loader(shard, cfg, 0, 3);
    for (int i = 0; i < 8; ++i) fresh.push_back(loader.next());
  }
  for (int i = 0; i < 8; ++i) {
    const TokenBatch direct = read_batch(shard, sampler, cfg, i);
    EXPECT_EQ(fresh[i].step, i);
    EXPECT_EQ(fresh[i].inputs, direct.inputs);
    EXPECT_EQ(fresh[i].targets, direct.targets);
    for (std::size_t j = 0; j + 1 < 32; ++j) EXPECT_EQ(direct.targets[j], direct.inputs[j + 1]);
  }
  DataLoader resumed(shard, cfg, 5);  // a run resumed at step 5
  for (int i = 5; i < 8; ++i) {
    const TokenBatch b = resumed.next();
    EXPECT_EQ(b.step, i);
    EXPECT_EQ(b.inputs, fresh[i].inputs);
  }
}

}  // namespace
}  // namespace cairn::train

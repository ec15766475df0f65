// The checkpoint format (docs/checkpoint-format.md): a round trip keeps every bit; each
// kind of damage is refused with its own message (and as CorruptCheckpoint, which a
// resume may fall back from, or as a plain cairn::Error, which it must not), and so is
// every kind the hostile sweep tries; a run of
// other settings is refused (another world size resumes, with a note); version 1 is the
// single file (still read: the sharded format of runs is tests/ft/test_checkpoint_*); the directory keeps the newest K and falls back past a
// damaged newest one; and a Trainer resumed from a checkpoint repeats the uninterrupted
// run bitwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/text_file.h"
#include "tests/train/fortunes_corpus.h"
#include "train/checkpoint.h"
#include "train/checkpoint_dir.h"
#include "train/cpu/parallel.h"
#include "train/data/text_shard.h"
#include "train/data/token_shard.h"
#include "train/trainer.h"

namespace cairn::train {
namespace {

namespace fs = std::filesystem;

TrainConfig config() {
  TrainConfig c;
  c.model = preset("tiny");
  c.steps = 6;
  c.batch = 2;
  c.seq_len = 32;
  c.seed = 7;
  c.warmup_steps = 2;
  return c;
}

// A state with every buffer distinct: weights from the seed, moments from a pattern.
TrainState some_state(const TrainConfig& c, std::int64_t step) {
  TrainState s = initial_state(c);
  s.step = step;
  for (std::size_t i = 0; i < s.m.size(); ++i) {
    s.m[i] = 1e-3f * static_cast<float>(i % 97) - 0.05f;
    s.v[i] = 1e-6f * static_cast<float>(i % 89);
  }
  return s;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::string read_bytes(const std::string& path) { return read_text_file(path, true); }
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// The message of the error reading `path` throws, and whether it is CorruptCheckpoint.
struct ReadError {
  std::string message;
  bool corrupt = false;
};
ReadError read_error(const std::string& path) {
  try {
    read_checkpoint(path);
  } catch (const CorruptCheckpoint& e) {
    return {e.what(), true};
  } catch (const Error& e) {
    return {e.what(), false};
  }
  ADD_FAILURE() << path << " read without an error";
  return {};
}

class CheckpointFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("step-00000003.ckpt");
    write_checkpoint(path_, cfg_, state_);
    bytes_ = read_bytes(path_);
  }
  // Writes the file with `edit` applied to its bytes and returns the read error.
  template <typename Edit>
  ReadError damaged(Edit edit) {
    std::string b = bytes_;
    edit(b);
    write_bytes(path_, b);
    return read_error(path_);
  }
  // Where the sections start: the data start of the format (the first 4 KiB boundary
  // after the preamble and header).
  std::size_t data_start() const {
    std::uint32_t header_bytes;
    std::memcpy(&header_bytes, bytes_.data() + 12, 4);
    return (24 + header_bytes + 4095) / 4096 * 4096;
  }
  std::size_t section_bytes() const { return state_.params.size() * sizeof(float); }

  test::TempDir dir_{"ckpt_format"};
  TrainConfig cfg_ = config();
  TrainState state_ = some_state(cfg_, 3);
  std::string path_, bytes_;
};

TEST_F(CheckpointFormat, RoundTripKeepsEveryBit) {
  const Checkpoint c = read_checkpoint(path_);
  EXPECT_EQ(c.state.step, 3);
  EXPECT_TRUE(bitwise_equal(c.state.params, state_.params));
  EXPECT_TRUE(bitwise_equal(c.state.m, state_.m));
  EXPECT_TRUE(bitwise_equal(c.state.v, state_.v));
  EXPECT_EQ(c.info.format_version, kCheckpointFormatVersion);
  EXPECT_EQ(c.info.world_size, 1);
  EXPECT_EQ(c.info.layout_elements, ParameterLayout(cfg_.model).total_elements());
  EXPECT_EQ(c.info.model_shape_hash, model_shape_hash(cfg_.model));
  EXPECT_EQ(model_config_from_json(c.info.model, path_).d_model, cfg_.model.d_model);
  EXPECT_EQ(c.info.train, resume_settings(cfg_));
  EXPECT_EQ(c.info.train.at("seq_len"), 32);
  EXPECT_EQ(c.info.device, "cpu");
  EXPECT_EQ(read_checkpoint_info(path_).step, 3);
  EXPECT_NO_THROW(require_resumable(c.info, cfg_, 1, path_));
  // Three 4 KiB-aligned sections and nothing after them.
  const std::size_t padded = (section_bytes() + 4095) / 4096 * 4096;
  EXPECT_EQ(bytes_.size(), data_start() + 2 * padded + section_bytes());
  EXPECT_EQ(bytes_.substr(0, 8), "CAIRNCKP");
  // Deterministic: the same state writes the same bytes.
  write_checkpoint(dir_.file("again.ckpt"), cfg_, state_);
  EXPECT_TRUE(read_bytes(dir_.file("again.ckpt")) == bytes_);
}

TEST_F(CheckpointFormat, MissingFileIsNamed) {
  const auto e = read_error(dir_.file("nope.ckpt"));
  EXPECT_TRUE(e.corrupt);
  EXPECT_NE(e.message.find("nope.ckpt: cannot open (missing"), std::string::npos) << e.message;
}

TEST_F(CheckpointFormat, TruncationIsNamed) {
  for (std::size_t keep : {std::size_t{10}, std::size_t{40}, bytes_.size() - 100}) {
    const auto e = damaged([&](std::string& b) { b.resize(keep); });
    EXPECT_TRUE(e.corrupt) << keep;
    EXPECT_NE(e.message.find(path_ + ": truncated"), std::string::npos) << keep << ": " << e.message;
    EXPECT_NE(e.message.find("use an older checkpoint"), std::string::npos) << e.message;
  }
  const auto e = damaged([](std::string& b) { b += "extra"; });
  EXPECT_TRUE(e.corrupt);
  EXPECT_NE(e.message.find("5 trailing bytes"), std::string::npos) << e.message;
}

TEST_F(CheckpointFormat, BadMagicIsNamed) {
  const auto e = damaged([](std::string& b) { b[3] = 'X'; });
  EXPECT_TRUE(e.corrupt);
  EXPECT_NE(e.message.find("not a Cairn checkpoint (bad magic"), std::string::npos) << e.message;
}

TEST_F(CheckpointFormat, OtherVersionNeedsAnotherCairnNotAFallback) {
  // (Version 2 is the sharded format's manifest: tests/ft/test_checkpoint_format.cpp.)
  const auto e = damaged([](std::string& b) { b[8] = 7; });
  EXPECT_FALSE(e.corrupt) << "a whole file of another version is not damage";
  EXPECT_NE(e.message.find("checkpoint format version 7; this cairn reads versions 1 and 2"), std::string::npos)
      << e.message;
}

TEST_F(CheckpointFormat, HeaderChecksumMismatchIsNamed) {
  const auto e = damaged([](std::string& b) { b[30] ^= 0x01; });
  EXPECT_TRUE(e.corrupt);
  EXPECT_NE(e.message.find("header checksum mismatch"), std::string::npos) << e.message;
}

TEST_F(CheckpointFormat, EachSectionChecksumMismatchIsNamed) {
  const std::size_t padded = (section_bytes() + 4095) / 4096 * 4096;
  const char* names[] = {"params", "adam.m", "adam.v"};
  for (int i = 0; i < 3; ++i) {
    // One flipped bit in the middle of section i.
    const auto e = damaged([&](std::string& b) { b[data_start() + i * padded + section_bytes() / 2] ^= 0x10; });
    EXPECT_TRUE(e.corrupt);
    EXPECT_NE(e.message.find(std::string("section ") + names[i] + " checksum mismatch"), std::string::npos)
        << e.message;
  }
}

// Every kind of damage the hostile sweep tries, each detected as damage: a cut at every
// boundary of the layout, one changed byte in every region (the zero padding included,
// which no checksum covers), a zero-filled tail, an appended tail, and the preamble and
// header of another model's checkpoint in front of this file's sections.
TEST_F(CheckpointFormat, EveryKindOfDamageIsDetected) {
  std::uint32_t header_bytes;
  std::memcpy(&header_bytes, bytes_.data() + 12, 4);
  const std::size_t header_end = 24 + header_bytes, d = data_start(), n = section_bytes();
  const std::size_t padded = (n + 4095) / 4096 * 4096;
  ASSERT_GT(padded, n) << "the tiny layout must leave padding between sections";
  ASSERT_GT(d, header_end);
  const std::size_t boundaries[] = {0, 8, 24, header_end, d, d + n, d + padded, d + padded + n, d + 2 * padded,
                                    bytes_.size() - 1};
  for (std::size_t keep : boundaries) {
    const auto e = damaged([&](std::string& b) { b.resize(keep); });
    EXPECT_TRUE(e.corrupt) << "cut at " << keep << ": " << e.message;
  }
  struct Region {
    const char* name;
    std::size_t at;
  };
  const Region regions[] = {{"magic", 2},
                            {"header length", 13},
                            {"header checksum", 17},
                            {"header", 24 + header_bytes / 2},
                            {"padding after the header", header_end + 1},
                            {"params", d + 1},
                            {"padding after params", d + n + 1},
                            {"adam.m", d + padded + n / 3},
                            {"padding after adam.m", d + padded + n + 2},
                            {"adam.v", bytes_.size() - 1}};
  for (const Region& r : regions) {
    const auto e = damaged([&](std::string& b) { b[r.at] ^= 0x04; });
    EXPECT_TRUE(e.corrupt) << r.name << ": " << e.message;
  }
  auto e = damaged([&](std::string& b) { std::fill(b.end() - 4096, b.end(), '\0'); });
  EXPECT_TRUE(e.corrupt) << "zero-filled tail: " << e.message;
  e = damaged([&](std::string& b) { b += std::string(4096, '\0'); });
  EXPECT_TRUE(e.corrupt) << "appended tail: " << e.message;

  TrainConfig other = cfg_;
  other.model = preset("tiny-xielu");
  write_checkpoint(dir_.file("other.ckpt"), other, some_state(other, 3));
  const std::string theirs = read_bytes(dir_.file("other.ckpt"));
  std::uint32_t their_header;
  std::memcpy(&their_header, theirs.data() + 12, 4);
  e = damaged([&](std::string& b) { b = theirs.substr(0, 24 + their_header) + b.substr(header_end); });
  EXPECT_TRUE(e.corrupt) << "another model's header: " << e.message;
}

TEST_F(CheckpointFormat, OtherModelOrSettingsAreRefusedAnotherWorldIsNoted) {
  const CheckpointInfo info = read_checkpoint_info(path_);
  auto refusal = [&](const TrainConfig& c, std::int64_t world) {
    try {
      require_resumable(info, c, world, path_);
    } catch (const CorruptCheckpoint& e) {
      ADD_FAILURE() << "a mismatch is not damage: " << e.what();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    ADD_FAILURE() << "resumable";
    return std::string();
  };
  TrainConfig other = cfg_;
  other.adamw.lr *= 2;
  EXPECT_NE(refusal(other, 1).find("was trained with lr 0.001, this run has 0.002"), std::string::npos);
  other = cfg_;
  other.steps = 100;  // the cosine schedule depends on the run's length
  EXPECT_NE(refusal(other, 1).find("steps 6, this run has 100"), std::string::npos);
  other = cfg_;
  other.seed = 8;
  EXPECT_NE(refusal(other, 1).find("seed 7"), std::string::npos);
  other = cfg_;
  other.model = preset("tiny-xielu");
  EXPECT_NE(refusal(other, 1).find("of another shape"), std::string::npos);
  // Another world resumes (every world reads the whole state), and is told what changes.
  EXPECT_NO_THROW(require_resumable(info, cfg_, 2, path_));
  EXPECT_TRUE(world_change_note(info, 1, path_).empty());
  const std::string note = world_change_note(info, 2, path_);
  EXPECT_NE(note.find("1 ranks, this one has 2"), std::string::npos) << note;
  EXPECT_NE(note.find("data order"), std::string::npos) << note;
  EXPECT_NE(note.find("bitwise"), std::string::npos) << note;
  // The same shape under another name resumes; seq_len 0 is the model's context.
  other = cfg_;
  other.model.name = "custom";
  EXPECT_NO_THROW(require_resumable(info, other, 1, path_));
  TrainConfig full = cfg_;
  full.seq_len = full.model.context;
  write_checkpoint(dir_.file("full.ckpt"), full, state_);
  full.seq_len = 0;
  EXPECT_NO_THROW(require_resumable(read_checkpoint_info(dir_.file("full.ckpt")), full, 1, path_));
}

TEST_F(CheckpointFormat, WrongSizedStateIsNotWritten) {
  TrainState s = state_;
  s.v.pop_back();
  EXPECT_THROW(write_checkpoint(dir_.file("bad.ckpt"), cfg_, s), Error);
  EXPECT_FALSE(fs::exists(dir_.file("bad.ckpt")));
}

TEST(CheckpointDir, KeepsTheNewestKAndIgnoresUnfinishedWrites) {
  test::TempDir dir("ckpt_dir");
  const TrainConfig c = config();
  const std::string sub = dir.file("run");
  EXPECT_TRUE(list_checkpoints(sub).empty());  // missing: none
  for (std::int64_t step : {2, 4, 6}) save_checkpoint(sub, c, some_state(c, step), 2);
  auto files = list_checkpoints(sub);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].step, 4);
  EXPECT_EQ(files[1].step, 6);
  EXPECT_EQ(files[1].path, checkpoint_path(sub, 6));
  EXPECT_EQ(fs::path(files[1].path).filename(), "step-00000006.ckpt");
  EXPECT_THROW(save_checkpoint(sub, c, some_state(c, 8), 0), Error);

  // A write killed halfway leaves only its temporary file: not listed, removed on resume.
  const std::string torn = checkpoint_path(sub, 8) + ".tmp.12345";
  write_bytes(torn, read_bytes(files[1].path).substr(0, 1000));
  EXPECT_EQ(list_checkpoints(sub).size(), 2u);
  std::vector<std::string> reports;
  const auto r = load_latest_checkpoint(sub, c, 1, [&](const std::string&, const std::string& why) {
    reports.push_back(why);
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->checkpoint.state.step, 6);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("unfinished write"), std::string::npos) << reports[0];
  EXPECT_FALSE(fs::exists(torn));
}

TEST(CheckpointDir, ResumeFallsBackPastADamagedNewestButNotPastAMismatch) {
  test::TempDir dir("ckpt_fallback");
  const TrainConfig c = config();
  const std::string sub = dir.file("run");
  EXPECT_FALSE(load_latest_checkpoint(sub, c, 1, nullptr));  // nothing yet: start at 0
  for (std::int64_t step : {2, 4}) save_checkpoint(sub, c, some_state(c, step), 3);
  const std::string newest = checkpoint_path(sub, 4);
  std::string b = read_bytes(newest);
  b.resize(b.size() / 2);  // as if the disk lost the file's tail
  write_bytes(newest, b);

  // A rank that is not the tidying one passes over it and touches nothing.
  auto quiet = load_latest_checkpoint(sub, c, 1, nullptr, /*tidy=*/false);
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->checkpoint.state.step, 2);
  EXPECT_TRUE(fs::exists(newest));

  std::vector<std::string> reports;
  const auto r = load_latest_checkpoint(sub, c, 1, [&](const std::string& path, const std::string& why) {
    EXPECT_EQ(path, newest);
    reports.push_back(why);
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->path, checkpoint_path(sub, 2));
  EXPECT_EQ(r->checkpoint.state.step, 2);
  EXPECT_TRUE(bitwise_equal(r->checkpoint.state.m, some_state(c, 2).m));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("truncated"), std::string::npos) << reports[0];
  EXPECT_NE(reports[0].find("moved aside"), std::string::npos) << reports[0];
  EXPECT_FALSE(fs::exists(newest));
  EXPECT_TRUE(fs::exists(newest + ".corrupt"));  // kept for inspection
  EXPECT_EQ(list_checkpoints(sub).size(), 1u);

  // A whole checkpoint of other settings stops the resume instead of falling back.
  save_checkpoint(sub, c, some_state(c, 4), 3);
  TrainConfig other = c;
  other.batch = 3;
  EXPECT_THROW(load_latest_checkpoint(sub, other, 1, nullptr), Error);
  EXPECT_EQ(list_checkpoints(sub).size(), 2u);
}

TEST(CheckpointDir, AFileWhoseNameIsNotItsStepIsPassedOver) {
  test::TempDir dir("ckpt_name");
  const TrainConfig c = config();
  const std::string sub = dir.file("run");
  for (std::int64_t step : {2, 4}) save_checkpoint(sub, c, some_state(c, step), 3);
  fs::copy_file(checkpoint_path(sub, 2), checkpoint_path(sub, 99));
  std::vector<std::string> reports;
  const auto r = load_latest_checkpoint(sub, c, 1, [&](const std::string&, const std::string& why) {
    reports.push_back(why);
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->path, checkpoint_path(sub, 4));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("its name says step 99 but its header holds step 2"), std::string::npos) << reports[0];
  EXPECT_EQ(count_damaged_checkpoints(sub), 1);
}

TEST(CheckpointDir, OnlyTheLastComponentIsCreatedAndOnlyADirectoryIsTaken) {
  test::TempDir dir("ckpt_prepare");
  try {
    prepare_checkpoint_dir(dir.file("a/b"));
    FAIL() << "created a missing parent";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("its parent " + dir.file("a") + " does not exist"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir.file("a")));
  prepare_checkpoint_dir(dir.file("a/"));  // a trailing slash names the same directory
  EXPECT_TRUE(fs::is_directory(dir.file("a")));
  prepare_checkpoint_dir(dir.file("a"));  // and an existing one is taken as it is
  write_bytes(dir.file("file"), "x");
  EXPECT_THROW(prepare_checkpoint_dir(dir.file("file")), Error);
  EXPECT_THROW(prepare_checkpoint_dir(dir.file("file/sub")), Error);
}

TEST(CheckpointResume, TrainerFromACheckpointRepeatsTheRunBitwise) {
  test::TempDir dir("ckpt_trainer");
  const auto files = test::fortune_files();
  ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
  write_byte_shard(files, dir.file("fortunes.bin"), true);
  const TokenShard shard(dir.file("fortunes.bin"));
  cpu::set_cpu_threads(1);
  const TrainConfig c = config();

  Trainer whole(c, shard);
  std::vector<double> losses;
  while (whole.state().step < c.steps) losses.push_back(whole.step().loss);

  Trainer first(c, shard);
  for (int i = 0; i < 3; ++i) first.step();
  first.sync_state();
  const std::string path = save_checkpoint(dir.file("run"), c, first.state());
  Trainer resumed(c, shard, read_checkpoint(path).state);
  EXPECT_EQ(resumed.state().step, 3);
  for (std::size_t i = 3; i < losses.size(); ++i) {
    const StepResult r = resumed.step();
    EXPECT_EQ(r.step, static_cast<std::int64_t>(i));
    EXPECT_EQ(r.loss, losses[i]) << "step " << i;
  }
  EXPECT_TRUE(bitwise_equal(resumed.state().params, whole.state().params));
  EXPECT_TRUE(bitwise_equal(resumed.state().m, whole.state().m));
  EXPECT_TRUE(bitwise_equal(resumed.state().v, whole.state().v));

  TrainState wrong = first.state();
  wrong.params.resize(10);
  EXPECT_THROW(Trainer(c, shard, wrong), Error);
  wrong = first.state();
  wrong.step = c.steps + 1;
  EXPECT_THROW(Trainer(c, shard, wrong), Error);
  cpu::set_cpu_threads(0);
}

}  // namespace
}  // namespace cairn::train

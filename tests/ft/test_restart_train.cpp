// Done-when 3 of issue 19 on host ranks: a killed rank and a hung rank are each recovered
// by `cairn launch --max-restarts`, the job resumes from its last checkpoint, and the final
// weights and moments equal an uninterrupted run's bitwise; each incident's time to resume
// is under 60 s. The hung rank is named by the watchdog of the rank it left waiting in the
// all-reduce.
#include <filesystem>

#include <gtest/gtest.h>

#include "common/json_io.h"
#include "tests/ft/restart_support.h"
#include "tests/train/fortunes_corpus.h"
#include "train/checkpoint_dir.h"
#include "train/data/text_shard.h"

namespace cairn::ft::test {
namespace {

constexpr int kSteps = 30;

class RestartTrain : public ::testing::Test {
 protected:
  // One shard and one uninterrupted run for every case.
  static void SetUpTestSuite() {
    dir_ = new train::test::TempDir("restart_train");
    auto files = train::test::fortune_files();
    ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
    files.resize(std::min<std::size_t>(files.size(), 3));
    train::write_byte_shard(files, dir_->file("fortunes.bin"), true);
    whole_ = new Output(run_words(dir_->path.string(), kCairn + " launch -n 2 -- " + train_command("whole")));
  }
  static void TearDownTestSuite() {
    delete whole_;
    delete dir_;
  }

  // Checkpoints every 5 steps, resumed by every start (the first finds none).
  static std::string train_command(const std::string& run) {
    return kCairn + " train --data fortunes.bin --preset tiny --device cpu --threads 1 --backend ucx --steps " +
           std::to_string(kSteps) +
           " --batch 4 --seq-len 64 --seed 3 --warmup 5 --log-every 1000 --checkpoint-every 5 --resume "
           "--checkpoint-dir " +
           run;
  }
  static std::string final_checkpoint(const std::string& run) {
    return train::checkpoint_path(dir_->file(run), kSteps);
  }

  // The incident the launcher recorded; checks it resumed within the bound.
  static Json one_incident(const std::string& file) {
    const auto lines = lines_of(dir_->file(file));
    EXPECT_EQ(lines.size(), 1u);
    if (lines.empty()) return Json::object();
    const Json j = parse_json(lines[0], file);
    EXPECT_EQ(j.at("restarted"), true);
    EXPECT_TRUE(j.at("time_to_resume_s").is_number()) << lines[0];
    if (j.at("time_to_resume_s").is_number()) {
      EXPECT_LT(j.at("time_to_resume_s").get<double>(), 60.0);
    }
    EXPECT_EQ(j.at("resumed_step"), 10) << "resumed from the checkpoint after step 10";
    std::cout << "incident: " << lines[0] << "\n";
    return j;
  }

  inline static train::test::TempDir* dir_ = nullptr;
  inline static Output* whole_ = nullptr;
};

TEST_F(RestartTrain, AKilledRankIsRestartedAndTheRunEndsBitwiseEqual) {
  ASSERT_EQ(whole_->code, 0) << whole_->text;
  const Output o =
      run_words(dir_->path.string(), kCairn + " launch -n 2 --max-restarts 2 --incidents killed.jsonl -- " +
                                         train_command("killed") + " --inject kill:rank=1,step=12");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("rank 1 was killed by SIGKILL"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("resuming from"), std::string::npos) << o.text;
  EXPECT_TRUE(same_final_state(final_checkpoint("whole"), final_checkpoint("killed")));
  const Json j = one_incident("killed.jsonl");
  EXPECT_EQ(j.value("rank", -1), 1);
  EXPECT_FALSE(j.contains("watchdog_rank"));
}

TEST_F(RestartTrain, AHungRankIsNamedByTheWatchdogRestartedAndTheRunEndsBitwiseEqual) {
  ASSERT_EQ(whole_->code, 0) << whole_->text;
  const Output o = run_words(
      dir_->path.string(), kCairn + " launch -n 2 --max-restarts 2 --incidents hung.jsonl -- " + train_command("hung") +
                               " --inject hang:rank=1,step=12 --watchdog-timeout 5 --watchdog-report verdict.jsonl");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("rank 1 never reached it"), std::string::npos) << o.text;
  EXPECT_TRUE(same_final_state(final_checkpoint("whole"), final_checkpoint("hung")));
  const Json incident = one_incident("hung.jsonl");
  EXPECT_EQ(incident.value("watchdog_rank", -1), 0);
  const auto verdicts = lines_of(dir_->file("verdict.jsonl"));
  ASSERT_EQ(verdicts.size(), 1u) << "one watchdog fired, once";
  const Json v = parse_json(verdicts[0], "verdict.jsonl");
  EXPECT_EQ(v.at("schema"), "cairn.watchdog_verdict");
  EXPECT_EQ(v.at("op").at("kind"), "all_reduce");
  EXPECT_EQ(v.at("never_reached"), Json::array({1}));
  EXPECT_EQ(v.at("stall"), "host");
  EXPECT_GE(v.at("op").at("in_flight_s").get<double>(), 5.0);
  EXPECT_LT(v.at("op").at("in_flight_s").get<double>(), 60.0);
}

}  // namespace
}  // namespace cairn::ft::test

// `cairn train --sdc` as a user runs it: `cairn launch -n 4` host ranks training `tiny`,
// a bit flipped before, in and after the reduction (--inject bitflip), and the final
// checkpoint's weights bitwise equal to a clean run's (done-when 2 of issue 19, end to
// end); the same flip without --sdc reaches the weights; an unrepaired fault meets each
// policy: skip trains on with the step's update skipped, rollback stops (exit 1) saying
// to resume, stop names the rank to exclude.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "common/json_io.h"
#include "common/text_file.h"
#include "tests/train/fortunes_corpus.h"
#include "train/checkpoint.h"
#include "train/checkpoint_dir.h"
#include "train/data/text_shard.h"

namespace cairn::ft {
namespace {

const std::string kCairn = CAIRN_BINARY_DIR "/bin/cairn";
constexpr int kSteps = 4;

struct TrainRun {
  int code = -1;
  std::string text;            // stdout and stderr
  std::vector<float> params;   // of the final checkpoint (empty when none)
};

// Runs `words` (a shell command line), its output to `out`; the final checkpoint is in `ck`.
TrainRun run_train(const std::string& words, const std::string& ck, const std::string& out) {
  const int status = std::system((words + " >" + out + " 2>&1").c_str());
  TrainRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.text = read_text_file(out, true);
  const std::string last = train::checkpoint_path(ck, kSteps);
  if (std::FILE* f = std::fopen(last.c_str(), "rb")) {
    std::fclose(f);
    r.params = train::read_checkpoint(last).state.params;
  }
  return r;
}

class SdcTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new train::test::TempDir("sdc_train");
    auto files = train::test::fortune_files();
    ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
    files.resize(1);
    train::write_byte_shard(files, dir_->file("fortunes.bin"), true);
  }
  static void TearDownTestSuite() { delete dir_; }

  // 4 launched ranks, `tiny`, kSteps steps, a checkpoint at the end in a directory of its own.
  static TrainRun train(const std::string& name, const std::string& flags) {
    const std::string ck = dir_->file(name), out = dir_->file(name + ".out");
    const std::string words = "env -i PATH=/usr/bin:/bin CAIRN_CPU_THREADS=1 " + kCairn + " launch -n 4 -- " + kCairn +
                              " train --data " + dir_->file("fortunes.bin") + " --preset tiny --steps " +
                              std::to_string(kSteps) + " --batch 1 --seq-len 16 --log-every 1 --backend ucx " +
                              "--checkpoint-dir " + ck + " " + flags;
    return run_train(words, ck, out);
  }
  static bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return !a.empty() && a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  }
  static const TrainRun& clean() {
    static const TrainRun r = train("clean", "--sdc");
    return r;
  }
  static train::test::TempDir* dir_;
};

train::test::TempDir* SdcTrain::dir_ = nullptr;

TEST_F(SdcTrain, FlipsBeforeInAndAfterTheReductionAreRepairedAndTheWeightsEqualACleanRunsBitwise) {
  ASSERT_EQ(clean().code, 0) << clean().text;
  ASSERT_FALSE(clean().params.empty()) << clean().text;
  EXPECT_EQ(clean().text.find("sdc:"), std::string::npos) << "a clean run reports nothing\n" << clean().text;
  struct Case {
    std::string inject, blame;
  };
  const Case cases[] = {
      {"bitflip:rank=2,step=1,where=gradient,bit=30,element=5000", "computation/memory on rank 2"},
      {"bitflip:rank=1,step=2,where=transit,bit=22,element=70000", "the communication between rank 1 and rank 2"},
      {"bitflip:rank=3,step=2,where=reduced,bit=15,element=123", "differs on rank 3, while its owner's copy still"},
  };
  for (const Case& c : cases) {
    const TrainRun r = train("flip" + std::to_string(&c - cases), "--sdc --inject " + c.inject);
    EXPECT_EQ(r.code, 0) << c.inject << "\n" << r.text;
    EXPECT_NE(r.text.find(c.blame), std::string::npos) << c.inject << "\n" << r.text;
    EXPECT_NE(r.text.find("repaired by retry 1"), std::string::npos) << c.inject << "\n" << r.text;
    EXPECT_TRUE(bitwise_equal(r.params, clean().params)) << c.inject << ": the final weights differ from the clean run's";
  }
}

TEST_F(SdcTrain, WithoutSdcTheSameFlipReachesTheWeights) {
  ASSERT_FALSE(clean().params.empty()) << clean().text;
  // No --sdc: the gradients take the same data path with the checks off.
  const TrainRun r = train("unchecked", "--inject bitflip:rank=1,step=2,where=transit,bit=22,element=70000");
  EXPECT_EQ(r.code, 0) << r.text;
  ASSERT_EQ(r.params.size(), clean().params.size()) << r.text;
  EXPECT_FALSE(bitwise_equal(r.params, clean().params)) << "the unchecked run kept the flip";
}

TEST_F(SdcTrain, AnUnrepairedFaultMeetsEachPolicy) {
  ASSERT_FALSE(clean().params.empty()) << clean().text;
  const std::string flip = " --sdc-retries 0 --inject bitflip:rank=1,step=2,where=gradient,bit=25,element=70000";
  const TrainRun skip = train("skip", "--sdc --sdc-policy skip" + flip);
  EXPECT_EQ(skip.code, 0) << skip.text;
  EXPECT_NE(skip.text.find("skipping this step's update"), std::string::npos) << skip.text;
  ASSERT_EQ(skip.params.size(), clean().params.size()) << skip.text;
  EXPECT_FALSE(bitwise_equal(skip.params, clean().params)) << "a step was skipped: the weights are not the clean run's";

  const TrainRun rollback = train("rollback", "--sdc" + flip);  // rollback: the default
  EXPECT_EQ(rollback.code, 1) << rollback.text;
  EXPECT_NE(rollback.text.find("resume from the last checkpoint"), std::string::npos) << rollback.text;

  const TrainRun stop = train("stop", "--sdc --sdc-policy stop" + flip);
  EXPECT_EQ(stop.code, 1) << stop.text;
  EXPECT_NE(stop.text.find("exclude rank 1 (host "), std::string::npos) << stop.text;
}

// --sdc-events (it implies --sdc): one JSON line a step with a finding, written by rank 0,
// saying what the check found, what was done and which ranks it points at.
TEST_F(SdcTrain, TheEventsFileHoldsOneJsonLinePerFindingAndWhatWasDone) {
  auto events_of = [](const std::string& path) {
    std::vector<Json> out;
    std::istringstream lines(read_text_file(path, true));
    for (std::string line; std::getline(lines, line);) out.push_back(Json::parse(line));
    return out;
  };
  const std::string repaired = dir_->file("events_repaired.jsonl");
  const TrainRun r =
      train("events_repaired", "--sdc-events " + repaired + " --inject bitflip:rank=1,step=2,where=transit,bit=22,element=70000");
  ASSERT_EQ(r.code, 0) << r.text;
  auto ev = events_of(repaired);
  ASSERT_EQ(ev.size(), 1u) << read_text_file(repaired, true);
  EXPECT_EQ(ev[0]["schema"], "cairn.sdc.event");
  EXPECT_EQ(ev[0]["step"], 3);  // the 0-based step 2, numbered as the progress table
  EXPECT_EQ(ev[0]["check"], "reduction");
  EXPECT_EQ(ev[0]["action"], "repaired");
  EXPECT_EQ(ev[0]["retries"], 1);
  EXPECT_EQ(ev[0]["verified"], true);
  EXPECT_FALSE(ev[0]["findings"].empty());

  const std::string stopped = dir_->file("events_stopped.jsonl");
  const TrainRun s = train("events_stopped", "--sdc-policy stop --sdc-retries 0 --sdc-events " + stopped +
                                                 " --inject bitflip:rank=1,step=2,where=gradient,bit=25,element=70000");
  EXPECT_EQ(s.code, 1) << s.text;
  ev = events_of(stopped);
  ASSERT_EQ(ev.size(), 1u) << read_text_file(stopped, true);
  EXPECT_EQ(ev[0]["action"], "stop");
  EXPECT_EQ(ev[0]["verified"], false);
  ASSERT_EQ(ev[0]["suspects"].size(), 1u) << ev[0].dump();
  EXPECT_EQ(ev[0]["suspects"][0]["rank"], 1);
  EXPECT_FALSE(ev[0]["suspects"][0]["host"].get<std::string>().empty());
}

TEST_F(SdcTrain, TheParameterCheckRaisesNothingOnAHealthyRun) {
  const TrainRun r = train("params", "--sdc --sdc-param-check-every 1");
  EXPECT_EQ(r.code, 0) << r.text;
  EXPECT_EQ(r.text.find("sdc:"), std::string::npos) << r.text;
  EXPECT_TRUE(bitwise_equal(r.params, clean().params));
}

// Without --sdc a flip in one rank's reduced buffer leaves that replica on its own
// weights; the parameter check names it at the next comparison and stops the run.
TEST_F(SdcTrain, TheParameterCheckNamesAReplicaThatWentItsOwnWay) {
  const TrainRun r = train("diverge", "--sdc-param-check-every 1 --inject bitflip:rank=3,step=1,where=reduced,bit=30,"
                                      "element=70000");
  EXPECT_EQ(r.code, 1) << r.text;
  EXPECT_NE(r.text.find("after step 2 the parameters of rank 3 (host "), std::string::npos) << r.text;
}

// One rank reduces nothing and compares nothing: --sdc checks NaN/Inf only, so a finite
// flip (bit 30 of one gradient element after backward) trains on; what it does to the
// weights shows why the replicas' checks exist.
TEST_F(SdcTrain, OneRankAloneChecksOnlyNaNAndInfAndAFiniteFlipTrainsOn) {
  const auto alone = [](const std::string& name, const std::string& flags) {
    const std::string ck = dir_->file(name), out = dir_->file(name + ".out");
    const std::string words = "env -i PATH=/usr/bin:/bin CAIRN_CPU_THREADS=1 " + kCairn + " train --data " +
                              dir_->file("fortunes.bin") + " --preset tiny --steps " + std::to_string(kSteps) +
                              " --batch 1 --seq-len 16 --log-every 1 --checkpoint-dir " + ck + " " + flags;
    return run_train(words, ck, out);
  };
  const TrainRun clean1 = alone("alone_clean", "--sdc");
  const TrainRun flipped = alone("alone_flip", "--sdc --inject bitflip:rank=0,step=1,where=gradient,bit=30,element=70000");
  EXPECT_EQ(clean1.code, 0) << clean1.text;
  EXPECT_EQ(flipped.code, 0) << flipped.text;
  ASSERT_EQ(flipped.params.size(), clean1.params.size()) << flipped.text;
  EXPECT_FALSE(bitwise_equal(flipped.params, clean1.params)) << "the flip reached the weights";
  const TrainRun transit = alone("alone_transit", "--sdc --inject bitflip:rank=0,step=1,where=transit,bit=22");
  EXPECT_EQ(transit.code, 2) << transit.text;
  EXPECT_NE(transit.text.find("a transit flip needs a data-parallel job"), std::string::npos) << transit.text;
}

}  // namespace
}  // namespace cairn::ft

// A job of three real rank processes (tests/support/rank_harness.h) saving together:
// each rank writes its third of every buffer, rank 0 commits the manifest once all three
// shards are durable, and every rank hears the verdict. When one rank's disk fills during
// a save (--inject disk-full on rank 1 only), the step is not committed on any rank and
// leaves no file, the checkpoint before it stays whole, and the next save commits. What
// three ranks wrote reads back bitwise as one state (any world can resume it).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "ft/checkpoint/checkpoint_names.h"
#include "ft/checkpoint/manifest.h"
#include "tests/ft/checkpoint_test_util.h"
#include "tests/support/rank_harness.h"

namespace cairn::ft {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::State;

TEST(CheckpointJob, RanksCommitTogetherAndAFullDiskOnOneRankCommitsNothing) {
  test::TempDir dir("job");
  const std::string where = dir.str();
  const auto outcomes = coll::testing::run_ranks(3, [&](coll::testing::RankEnv& env) {
    CheckpointerOptions o;
    o.dir = where;
    o.rank = env.rank();
    o.ranks = env.size();
    o.keep = 3;
    // Rank 1's disk only (--inject disk-full names no rank: it fills every rank's disk).
    if (env.rank() == 1) o.faults = {parse_fault_spec("disk-full:step=1")};
    o.channel = store_commit_channel(env.store(), "job", 60000ms);
    AsyncCheckpointer w(o);
    for (std::int64_t step = 1; step <= 3; ++step) {
      const State s(20011, static_cast<int>(step));  // every rank holds the same state
      const SaveOutcome out = test::save_now(w, s, step);
      env.expect(out.committed == (step != 2), "step " + std::to_string(step) + " committed " +
                                                   std::to_string(out.committed) + ": " + out.error);
      if (step == 2 && env.rank() == 0)
        env.expect(out.error.find("rank 1: ") != std::string::npos &&
                       out.error.find("No space left on device") != std::string::npos,
                   "rank 0 names the rank whose write failed: " + out.error);
    }
  });
  coll::testing::expect_all_ok(outcomes);
  for (std::int64_t step : {1, 3}) {
    const std::string path = manifest_path(where, step);
    const Manifest m = read_manifest(path);
    EXPECT_EQ(m.world_size, 3);
    std::vector<std::vector<float>> got;
    read_manifest_state(path, m, got);
    const State want(20011, static_cast<int>(step));
    for (std::size_t i = 0; i < 3; ++i)
      EXPECT_EQ(std::memcmp(got[i].data(), want.buffers[i].data(), got[i].size() * sizeof(float)), 0) << step;
  }
  for (const auto& e : fs::directory_iterator(where))
    EXPECT_NE(step_of_any(e.path().filename().string()), 2) << e.path() << " left by the failed step";
}

}  // namespace
}  // namespace cairn::ft

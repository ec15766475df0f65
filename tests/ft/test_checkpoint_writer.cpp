// The asynchronous writer (ft/checkpoint/async_checkpointer.h): save() returns once the
// state is staged, while the write and the commit go on (here rank 0's commit waits for
// rank 1's shard, which the test holds back: a write as slow as the test wants), and the
// buffers may change meanwhile without reaching the checkpoint; the next save waits for
// the previous; nothing of a step counts before its manifest; a state larger than the
// staging bound is written in pieces; a full disk during a save (--inject disk-full)
// loses no good checkpoint and the next save succeeds; --inject corrupt-checkpoint
// damages a committed shard, which a read then refuses; keep-last-N.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "collectives/rendezvous/tcp_store.h"
#include "ft/checkpoint/checkpoint_names.h"
#include "ft/checkpoint/manifest.h"
#include "tests/ft/checkpoint_test_util.h"

namespace cairn::ft {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::State;

std::vector<std::vector<float>> read_step(const std::string& dir, std::int64_t step) {
  std::vector<std::vector<float>> out;
  const std::string path = manifest_path(dir, step);
  read_manifest_state(path, read_manifest(path), out);
  return out;
}

bool same_bits(const std::vector<std::vector<float>>& a, const State& s) {
  if (a.size() != 3) return false;
  for (std::size_t i = 0; i < 3; ++i)
    if (a[i].size() != s.buffers[i].size() ||
        std::memcmp(a[i].data(), s.buffers[i].data(), a[i].size() * sizeof(float)) != 0)
      return false;
  return true;
}

std::vector<std::string> files_of_step(const std::string& dir, std::int64_t step) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (step_of_any(e.path().filename().string()) == step) out.push_back(e.path().filename().string());
  return out;
}

TEST(CheckpointWriter, TrainingGoesOnWhileAWriteIsInFlightAndTheNextSaveWaitsForIt) {
  test::TempDir dir("writer_async");
  coll::StoreServer server(0, "secret");
  auto client = [&] { return coll::connect_store({"127.0.0.1", server.port(), "secret", 30000ms}); };
  auto store0 = client(), store1 = client();
  auto options = [&](int rank, coll::Store& store) {
    CheckpointerOptions o;
    o.dir = dir.str();
    o.rank = rank;
    o.ranks = 2;
    o.channel = store_commit_channel(store, "test", 60000ms);
    return o;
  };
  AsyncCheckpointer rank0(options(0, *store0));
  AsyncCheckpointer rank1(options(1, *store1));
  const State a(200000, 1), b(200000, 2);
  State live = a;  // what rank 0 trains on

  rank0.save(live.request(1));
  live = b;  // training goes on, changing the buffers the save was staged from
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(fs::exists(manifest_path(dir.str(), 1))) << "committed before rank 1's shard was durable";
  EXPECT_TRUE(rank0.take_outcomes().empty());

  std::atomic<bool> second_returned{false};
  std::thread next([&] {
    rank0.save(live.request(2));
    second_returned = true;
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(second_returned.load()) << "the next save did not wait for the one in flight";
  rank1.save(a.request(1));  // rank 1's shard of step 1: now step 1 can commit
  next.join();
  EXPECT_TRUE(fs::exists(manifest_path(dir.str(), 1)));
  rank1.save(b.request(2));
  rank0.wait();
  rank1.wait();
  for (AsyncCheckpointer* w : {&rank0, &rank1}) {
    const auto outcomes = w->take_outcomes();
    ASSERT_EQ(outcomes.size(), 2u);
    for (const auto& out : outcomes) EXPECT_TRUE(out.committed) << out.error;
    if (w == &rank0) {  // its step 2 waited >= 200 ms for step 1's commit, and says so
      EXPECT_GE(outcomes[1].wait_s, 0.15);
      EXPECT_GE(outcomes[1].stall_s, outcomes[1].wait_s);
      EXPECT_LT(outcomes[0].wait_s, 0.15) << "nothing was in flight before step 1";
    }
  }
  EXPECT_TRUE(same_bits(read_step(dir.str(), 1), a)) << "step 1 holds the buffers as they were at its save";
  EXPECT_TRUE(same_bits(read_step(dir.str(), 2), b));
}

TEST(CheckpointWriter, AStateLargerThanTheStagingBoundIsWrittenInPieces) {
  test::TempDir dir("writer_pieces");
  CheckpointerOptions o;
  o.dir = dir.str();
  o.staging_bytes = 64 << 10;
  AsyncCheckpointer w(o);
  const State s(300000, 3);  // 3.6 MB against 64 KiB of staging
  const SaveOutcome out = test::save_now(w, s, 5);
  ASSERT_TRUE(out.committed) << out.error;
  EXPECT_LE(w.staging_capacity(), 64u << 10);
  EXPECT_EQ(out.raw_bytes, 3u * 300000 * sizeof(float));
  EXPECT_TRUE(same_bits(read_step(dir.str(), 5), s));
}

// reserve() takes the staging before training (pinning gigabytes takes seconds, which the
// first save would otherwise stall for): the shard's size, kept by the saves after it.
TEST(CheckpointWriter, ReserveTakesTheStagingASaveNeedsBeforeTheFirstSave) {
  test::TempDir dir("writer_reserve");
  CheckpointerOptions o;
  o.dir = dir.str();
  AsyncCheckpointer w(o);
  EXPECT_EQ(w.staging_capacity(), 0u);
  const State s(100000, 4);
  w.reserve(100000, 3);
  const std::uint64_t reserved = w.staging_capacity();
  EXPECT_EQ(reserved, 3u * 100000 * sizeof(float)) << "the whole shard (one chunk: under 4 MiB)";
  const SaveOutcome out = test::save_now(w, s, 1);
  ASSERT_TRUE(out.committed) << out.error;
  EXPECT_EQ(w.staging_capacity(), reserved) << "the save took no other staging";
  EXPECT_TRUE(same_bits(read_step(dir.str(), 1), s));
}

TEST(CheckpointWriter, AFullDiskDuringASaveLosesNoGoodCheckpointAndTheNextSaveSucceeds) {
  test::TempDir dir("writer_full");
  CheckpointerOptions o;
  o.dir = dir.str();
  o.keep = 2;
  o.faults = {parse_fault_spec("disk-full:step=1")};  // the save after step index 1: step 2
  AsyncCheckpointer w(o);
  const State s1(100000, 1), s2(100000, 2), s3(100000, 3);
  ASSERT_TRUE(test::save_now(w, s1, 1).committed);
  const SaveOutcome failed = test::save_now(w, s2, 2);
  EXPECT_FALSE(failed.committed);
  EXPECT_NE(failed.error.find("No space left on device"), std::string::npos) << failed.error;
  EXPECT_NE(failed.error.find(shard_file_name(2, 0, 1)), std::string::npos) << failed.error;
  EXPECT_TRUE(files_of_step(dir.str(), 2).empty()) << "the failed step left files";
  EXPECT_TRUE(same_bits(read_step(dir.str(), 1), s1));
  const SaveOutcome next = test::save_now(w, s3, 3);
  ASSERT_TRUE(next.committed) << next.error;
  EXPECT_TRUE(same_bits(read_step(dir.str(), 3), s3));
  EXPECT_TRUE(same_bits(read_step(dir.str(), 1), s1)) << "keep 2: step 1 and step 3 stay";
}

TEST(CheckpointWriter, AnInjectedCorruptionDamagesACommittedShardThatAReadRefuses) {
  test::TempDir dir("writer_corrupt");
  CheckpointerOptions o;
  o.dir = dir.str();
  o.keep = 3;
  o.faults = {parse_fault_spec("corrupt-checkpoint:step=1")};
  AsyncCheckpointer w(o);
  const State s1(50000, 1), s2(50000, 2);
  ASSERT_TRUE(test::save_now(w, s1, 1).committed);
  const SaveOutcome out = test::save_now(w, s2, 2);
  EXPECT_TRUE(out.committed) << "the damage comes after the verification, as at rest";
  EXPECT_NE(out.injected.find("corrupt-checkpoint:step=1"), std::string::npos) << out.injected;
  EXPECT_THROW(read_step(dir.str(), 2), CorruptCheckpoint);
  EXPECT_TRUE(same_bits(read_step(dir.str(), 1), s1));
}

TEST(CheckpointWriter, KeepsTheNewestNAndRemovesEachStepWhole) {
  test::TempDir dir("writer_keep");
  CheckpointerOptions o;
  o.dir = dir.str();
  o.keep = 2;
  AsyncCheckpointer w(o);
  const State s(1000, 1);
  for (std::int64_t step = 1; step <= 4; ++step) ASSERT_TRUE(test::save_now(w, s, step).committed);
  for (std::int64_t step : {1, 2}) EXPECT_TRUE(files_of_step(dir.str(), step).empty()) << step;
  for (std::int64_t step : {3, 4}) EXPECT_EQ(files_of_step(dir.str(), step).size(), 2u) << step;
}

TEST(CheckpointWriter, AJobOfSeveralRanksNeedsAChannel) {
  CheckpointerOptions o;
  o.dir = "unused";
  o.ranks = 2;
  EXPECT_THROW(AsyncCheckpointer w(o), Error);
}

}  // namespace
}  // namespace cairn::ft

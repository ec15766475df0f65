// Hostile cases of the checkpoint directory and its files (`cairn train --checkpoint-dir
// / --resume`): two runs on one directory, paths that are not a directory or not there,
// a directory this user cannot write, checkpoints that cannot be read or are all damaged,
// a file whose name lies about its step, damage the checksums alone would miss, a corrupted
// newest checkpoint and a disk filled during a save (done-when 3 of issue 19), a job's
// checkpoint resumed on another world size, the automatic interval, and bad flag values. Each runs the tiny preset on the tiny shard for a few steps.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <utility>

#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

namespace fs = std::filesystem;

// Permission cases drop to `nobody`, and device nodes need mknod: both need root.
constexpr const char* kNeedsRoot = "needs root, as the hostile suite runs in CI";

// A short CPU run of the tiny preset: batch 2 of 16 tokens, a checkpoint after every
// step, unless `extra` gives those flags itself.
Command train(const std::string& dir, int steps, std::vector<std::string> extra = {},
              const std::string& shard = tiny_shard()) {
  Command c;
  c.args = {"train", "--data", shard, "--preset", "tiny", "--device", "cpu", "--steps", std::to_string(steps),
            "--checkpoint-dir", dir};
  for (const auto& [flag, value] : {std::pair<std::string, std::string>{"--batch", "2"},
                                    {"--seq-len", "16"},
                                    {"--checkpoint-every", "1"}}) {
    bool given = false;
    for (const auto& a : extra) given = given || a.rfind(flag, 0) == 0;
    if (!given) c.args.insert(c.args.end(), {flag, value});
  }
  c.args.insert(c.args.end(), extra.begin(), extra.end());
  return c;
}

// A checkpoint is its manifest, step-N.ckpt, and one shard a rank (docs/checkpoint-format.md).
std::string ckpt(const std::string& dir, int step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%08d.ckpt", step);
  return dir + "/" + name;
}
std::string shard(const std::string& dir, int step, int rank = 0, int ranks = 1) {
  char name[64];
  std::snprintf(name, sizeof name, "step-%08d.shard-%d-of-%d", step, rank, ranks);
  return dir + "/" + name;
}

// The files in dir that belong to step `step` (its manifest, shards, leftovers).
std::vector<std::string> files_of_step(const std::string& dir, int step) {
  char stem[32];
  std::snprintf(stem, sizeof stem, "step-%08d.", step);
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(stem, 0) == 0) out.push_back(e.path().filename().string());
  return out;
}

bool wait_for_file(const std::string& path, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!fs::exists(path)) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A run of 3 steps that leaves checkpoints 1, 2 and 3 in box/DIR.
std::string three_checkpoints(const Sandbox& box, const std::string& rel = "ck") {
  const std::string dir = box.path(rel);
  const Outcome o = run(box, train(dir, 3, {"--keep-checkpoints", "3"}));
  EXPECT_TRUE(succeeded(o));
  return dir;
}

TEST(HostileCheckpoints, ASecondRunOnOneDirectoryIsRefusedNamingTheHolder) {
  Sandbox box;
  const std::string dir = box.path("ck");
  Running first = start(box, train(dir, 100000));
  ASSERT_TRUE(wait_for_file(ckpt(dir, 1), std::chrono::seconds(20))) << "the first run wrote no checkpoint";
  const std::string pid = std::to_string(first.pid());
  // Whether it would resume the first run's checkpoints or start fresh, the second run
  // must not write beside the first.
  EXPECT_TRUE(refused(run(box, train(dir, 100000, {"--resume"})), 2, "train",
                      {"--checkpoint-dir " + dir, "in use by pid " + pid, "give each run its own directory"}));
  EXPECT_TRUE(refused(run(box, train(dir, 5)), 2, "train", {"in use by pid " + pid}));
  first.signal(SIGKILL);
  first.wait();
  // A killed run leaves its record but no lock: the next run takes the directory.
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".ckpt") fs::remove(e.path());
  EXPECT_TRUE(succeeded(run(box, train(dir, 2))));
}

TEST(HostileCheckpoints, AJobWhoseRankZeroIsRefusedEndsWithoutWaitingForTheOthers) {
  Sandbox box;
  const std::string dir = box.path("ck");
  // The first run checkpoints only at its end, so the directory holds no checkpoint that
  // would make the job's other rank refuse it on its own.
  Command first_run = train(dir, 100000, {"--checkpoint-every", "0", "--log-every", "1"});
  first_run.stdout_path = box.path("first.out");
  Running first = start(box, first_run);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::error_code ec;
  while ((fs::file_size(first_run.stdout_path, ec) == 0 || ec) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(fs::file_size(first_run.stdout_path, ec), 0u) << "the first run did not start training";
  // Only rank 0 takes the lock; rank 1 is training when rank 0 is refused.
  Command job = train(dir, 100000, {"--checkpoint-every", "0", "--backend", "ucx"});
  job.args.insert(job.args.begin(), {"launch", "-n", "2", "--", cairn_binary()});
  job.timeout = std::chrono::seconds(30);  // under the 60 s a rank would wait in the collective close
  const Outcome o = run(box, job);
  EXPECT_TRUE(ended_cleanly(o));
  EXPECT_EQ(o.exit_code, 2) << o.describe();
  EXPECT_LT(o.seconds, 15) << "the refused rank waited for the others";
  EXPECT_NE(o.err.find("in use by pid " + std::to_string(first.pid())), std::string::npos) << o.describe();
}

TEST(HostileCheckpoints, ALockFileThatIsASymlinkOrADeviceIsNeitherFollowedNorWritten) {
  if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
  Sandbox box;
  const std::string victim = box.write("victim", "keep me\n");
  const std::string dir = box.mkdir("ck");
  box.symlink(victim, "ck/cairn.lock");
  EXPECT_TRUE(refused(run(box, train(dir, 2)), 2, "train", {"--checkpoint-dir " + dir, "cairn.lock"}));
  EXPECT_EQ(slurp(victim), "keep me\n");
  const std::string other = box.mkdir("ck2");
  ASSERT_EQ(::mknod((other + "/cairn.lock").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  EXPECT_TRUE(refused(run(box, train(other, 2)), 2, "train", {"cairn.lock", "not a regular file"}));
}

TEST(HostileCheckpoints, OnlyTheLastComponentOfAMissingDirectoryIsCreated) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, train(box.path("no/a/b"), 2)), 2, "train",
                      {"--checkpoint-dir " + box.path("no/a/b"), "parent " + box.path("no/a"), "does not exist"}));
  EXPECT_FALSE(fs::exists(box.path("no")));
  EXPECT_TRUE(succeeded(run(box, train(box.path("new"), 2))));
  EXPECT_TRUE(fs::exists(ckpt(box.path("new"), 2)));
}

TEST(HostileCheckpoints, AnUnwritableDirectoryIsRefusedBeforeTheFirstStep) {
  if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
  Sandbox box;
  const std::string shard = box.path("tiny.shard");
  fs::copy_file(tiny_shard(), shard);
  box.give_to_nobody();
  const std::string dir = box.mkdir("ro");
  ::chown(dir.c_str(), 0, 0);
  ::chmod(dir.c_str(), 0755);
  Command c = train(dir, 3, {}, shard);
  c.as_nobody = true;
  const Outcome o = run(box, c);
  EXPECT_TRUE(refused(o, 2, "train", {"--checkpoint-dir " + dir, "cannot be written", "Permission denied"}));
  EXPECT_EQ(o.out, "") << "it trained before finding out";
}

TEST(HostileCheckpoints, AFullFilesystemIsRefusedBeforeTheFirstStep) {
  Sandbox box;
  const std::string mnt = box.mkdir("full");
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=16k") != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
  struct Unmount {
    std::string at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{mnt};
  spit(mnt + "/filler", std::string(64 << 10, 'x'));  // cut short at the 16 KiB the tmpfs has
  const Outcome o = run(box, train(mnt, 2));
  EXPECT_TRUE(refused(o, 2, "train", {"--checkpoint-dir " + mnt, "No space left on device"}));
  EXPECT_EQ(o.out, "") << "it trained before finding out";
}

TEST(HostileCheckpoints, ADirectoryThatIsAFileOrADeviceIsRefusedBeforeTheFirstStep) {
  if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
  Sandbox box;
  const std::string file = box.write("plain", "not a directory\n");
  Outcome o = run(box, train(file, 2));
  EXPECT_TRUE(refused(o, 2, "train", {"--checkpoint-dir " + file, "a regular file, not a directory"}));
  EXPECT_EQ(o.out, "");
  const std::string device = box.path("null");
  ASSERT_EQ(::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  o = run(box, train(device, 2));
  EXPECT_TRUE(refused(o, 2, "train", {"--checkpoint-dir " + device, "device, not a directory"}));
  EXPECT_EQ(o.out, "");
  struct stat st {};
  ASSERT_EQ(::stat(device.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced";
}

TEST(HostileCheckpoints, ASymlinkToADirectoryAndATrailingSlashAreFine) {
  Sandbox box;
  const std::string real = box.mkdir("real");
  const std::string link = box.symlink(real, "link");
  EXPECT_TRUE(succeeded(run(box, train(link, 2))));
  EXPECT_TRUE(fs::exists(ckpt(real, 2)));
  EXPECT_TRUE(succeeded(run(box, train(link + "/", 2, {"--resume"}))));
  EXPECT_TRUE(succeeded(run(box, train(box.path("slash") + "/", 2))));
  EXPECT_TRUE(fs::exists(ckpt(box.path("slash"), 2)));
}

TEST(HostileCheckpoints, AnUnreadableCheckpointStopsTheRunAndIsNotMovedAside) {
  if (::geteuid() != 0) GTEST_SKIP() << kNeedsRoot;
  Sandbox box;
  const std::string shard = box.path("tiny.shard");
  fs::copy_file(tiny_shard(), shard);
  const std::string dir = box.path("ck");
  ASSERT_TRUE(succeeded(run(box, train(dir, 3, {"--keep-checkpoints", "3"}, shard))));
  box.give_to_nobody();
  ::chmod(ckpt(dir, 3).c_str(), 0);
  Command c = train(dir, 3, {"--resume"}, shard);
  c.as_nobody = true;
  EXPECT_TRUE(refused(run(box, c), 2, "train", {ckpt(dir, 3), "Permission denied", "left in place"}));
  EXPECT_TRUE(fs::exists(ckpt(dir, 3)));
  EXPECT_FALSE(fs::exists(ckpt(dir, 3) + ".corrupt"));
}

TEST(HostileCheckpoints, EveryCheckpointDamagedRefusesTheResumeUnlessToldToStartOver) {
  Sandbox box;
  const std::string dir = three_checkpoints(box);
  for (int step : {1, 2, 3}) fs::resize_file(ckpt(dir, step), 100);
  const auto resume = train(dir, 3, {"--resume"});
  EXPECT_TRUE(refused(run(box, resume), 2, "train", {"--checkpoint-dir " + dir, "3 damaged", "--start-over"}));
  // The damaged files are now aside; asking again must not find "nothing" and start over.
  EXPECT_TRUE(refused(run(box, resume), 2, "train", {"3 damaged"}));
  const Outcome o = run(box, train(dir, 3, {"--resume", "--start-over"}));
  EXPECT_TRUE(succeeded(o));
  EXPECT_TRUE(fs::exists(ckpt(dir, 3)));
  // An empty directory with --resume (a job script that always passes it) starts fresh.
  EXPECT_TRUE(succeeded(run(box, train(box.mkdir("empty"), 2, {"--resume"}))));
}

TEST(HostileCheckpoints, AFileWhoseNameLiesAboutItsStepIsPassedOver) {
  Sandbox box;
  const std::string dir = three_checkpoints(box);
  fs::copy_file(ckpt(dir, 1), ckpt(dir, 99));
  const Outcome o = run(box, train(dir, 3, {"--resume"}));
  EXPECT_TRUE(succeeded(o));
  EXPECT_NE(o.out.find("resuming from " + ckpt(dir, 3)), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("name says step 99 but its header holds step 1"), std::string::npos) << o.describe();
  EXPECT_TRUE(fs::exists(ckpt(dir, 99) + ".corrupt"));
}

TEST(HostileCheckpoints, AChangedPaddingByteIsDamage) {
  Sandbox box;
  const std::string dir = three_checkpoints(box);
  std::string bytes = slurp(shard(dir, 3));
  bytes[4000] ^= 0x40;  // after the shard's header, before its sections at byte 4096
  spit(shard(dir, 3), bytes);
  const Outcome o = run(box, train(dir, 3, {"--resume"}));
  EXPECT_TRUE(succeeded(o));
  EXPECT_NE(o.out.find("resuming from " + ckpt(dir, 2)), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("nonzero padding after the header"), std::string::npos) << o.describe();
}

// Done-when 3: a corrupted newest checkpoint is detected at resume and the previous one
// used. The injected damage comes after the save was verified (as damage at rest would),
// so the first run ends well believing step 3 good; then a byte the test flips itself.
TEST(HostileCheckpoints, ACorruptedNewestCheckpointIsDetectedAtResumeAndThePreviousUsed) {
  Sandbox box;
  const std::string whole = box.path("whole.log");
  ASSERT_TRUE(succeeded(run(box, train(box.path("plain"), 3, {"--loss-log", whole}))));
  const std::string dir = box.path("ck");
  const std::string log = box.path("loss.log");
  const Outcome first = run(box, train(dir, 3, {"--keep-checkpoints", "3", "--inject", "corrupt-checkpoint:step=2",
                                               "--loss-log", log}));
  ASSERT_TRUE(succeeded(first));
  EXPECT_NE(first.err.find("corrupt-checkpoint:step=2: flipped a bit"), std::string::npos) << first.describe();
  EXPECT_NE(first.out.find("last verified checkpoint: step 3"), std::string::npos) << first.out;
  const Outcome resumed = run(box, train(dir, 3, {"--keep-checkpoints", "3", "--resume", "--loss-log", log}));
  ASSERT_TRUE(succeeded(resumed));
  EXPECT_NE(resumed.out.find("resuming from " + ckpt(dir, 2)), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.err.find(shard(dir, 3) + ": section params checksum mismatch"), std::string::npos)
      << resumed.describe();
  EXPECT_TRUE(fs::exists(ckpt(dir, 3) + ".corrupt"));
  EXPECT_TRUE(fs::exists(shard(dir, 3) + ".corrupt"));
  EXPECT_EQ(slurp(log), slurp(whole)) << "the redone step differs from the uninterrupted run's";

  // A byte flipped in the newest shard's data by hand: the same.
  std::string bytes = slurp(shard(dir, 3));
  bytes[bytes.size() - 10] ^= 0x01;
  spit(shard(dir, 3), bytes);
  const Outcome again = run(box, train(dir, 3, {"--keep-checkpoints", "3", "--resume"}));
  ASSERT_TRUE(succeeded(again));
  EXPECT_NE(again.out.find("resuming from " + ckpt(dir, 2)), std::string::npos) << again.out;
  EXPECT_NE(again.err.find("checksum mismatch"), std::string::npos) << again.describe();
}

// Done-when 3: a disk filled during a save loses no good checkpoint. The run says which
// save failed and goes on (a full disk is often freed by someone; the next checkpoint
// tries again); only the last step's save failing ends the run, exit 2, naming the last
// verified checkpoint.
TEST(HostileCheckpoints, ADiskFilledDuringASaveLosesNoGoodCheckpoint) {
  Sandbox box;
  const std::string dir = box.path("ck");
  const Outcome o = run(box, train(dir, 4, {"--keep-checkpoints", "4", "--inject", "disk-full:step=1"}));
  ASSERT_TRUE(succeeded(o));
  EXPECT_NE(o.err.find("the checkpoint of step 2 was not written: " + shard(dir, 2) +
                       ": cannot write: No space left on device"),
            std::string::npos) << o.describe();
  EXPECT_NE(o.err.find("the last verified one is step 1"), std::string::npos) << o.describe();
  EXPECT_TRUE(files_of_step(dir, 2).empty()) << "the failed save left files";
  for (int step : {1, 3, 4}) EXPECT_TRUE(fs::exists(ckpt(dir, step))) << step;
  EXPECT_NE(o.out.find("last verified checkpoint: step 4"), std::string::npos) << o.out;

  const std::string last = box.path("last");
  const Outcome end = run(box, train(last, 3, {"--inject", "disk-full:step=2"}));
  EXPECT_TRUE(refused(end, 2, "train", {"the checkpoint of the last step (3) was not written", "No space left",
                                        "the last verified checkpoint is step 2", "--resume"}));
  EXPECT_TRUE(succeeded(run(box, train(last, 3, {"--resume"}))));
  EXPECT_TRUE(fs::exists(ckpt(last, 3)));
}

// The same with a real full filesystem: a small tmpfs that holds two checkpoints.
TEST(HostileCheckpoints, ARealFullFilesystemDuringASaveLosesNoGoodCheckpoint) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs " << kNeedsRoot;
  Sandbox box;
  const std::string mnt = box.mkdir("small");
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=6m") != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
  struct Unmount {
    std::string at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{mnt};
  spit(mnt + "/filler", std::string(3 << 20, 'x'));  // a tiny checkpoint is 1.4 MB: room for two
  const std::string dir = mnt + "/ck";
  const Outcome o = run(box, train(dir, 4, {"--keep-checkpoints", "2"}));
  // A warning for step 3's save (the run went on), then the refusal for the last step's.
  ASSERT_TRUE(ended_cleanly(o));
  EXPECT_EQ(o.exit_code, 2) << o.describe();
  EXPECT_EQ(o.err.rfind("WARNING: the checkpoint of step 3 was not written", 0), 0u) << o.describe();
  const std::string last_line = o.err.substr(o.err.find('\n') + 1);
  EXPECT_EQ(last_line.rfind("cairn train: the checkpoint of the last step (4) was not written", 0), 0u) << o.describe();
  EXPECT_NE(last_line.find("No space left on device"), std::string::npos) << o.describe();
  EXPECT_NE(last_line.find("the last verified checkpoint is step 2"), std::string::npos) << o.describe();
  EXPECT_TRUE(fs::exists(ckpt(dir, 1)) && fs::exists(ckpt(dir, 2))) << "a good checkpoint was lost";
  fs::remove(mnt + "/filler");  // the operator frees space
  const Outcome resumed = run(box, train(dir, 4, {"--keep-checkpoints", "2", "--resume"}));
  EXPECT_TRUE(succeeded(resumed));
  EXPECT_NE(resumed.out.find("resuming from " + ckpt(dir, 2)), std::string::npos) << resumed.describe();
  EXPECT_EQ(resumed.err.find("WARNING"), std::string::npos) << "nothing damaged: " << resumed.err;
}

// A job of 2 ranks writes 2 shards a step. Resumed on 2 ranks (from the step before a
// damaged newest) it repeats the uninterrupted job bitwise (its loss log); resumed on 1
// rank it continues from that step, told that the data order changes.
TEST(HostileCheckpoints, ARunOfTwoRanksResumesOnTwoBitwiseAndOnOne) {
  Sandbox box;
  auto on_two = [&](Command c) {
    c.args.insert(c.args.begin(), {"launch", "-n", "2", "--", cairn_binary()});
    c.args.insert(c.args.end(), {"--backend", "ucx"});
    c.timeout = std::chrono::seconds(60);
    return c;
  };
  const std::string whole = box.path("whole.log"), log = box.path("loss.log");
  ASSERT_TRUE(succeeded(run(box, on_two(train(box.path("plain"), 3, {"--loss-log", whole})))));
  const std::string dir = box.path("ck");
  ASSERT_TRUE(succeeded(run(box, on_two(train(dir, 3, {"--keep-checkpoints", "3", "--loss-log", log, "--inject",
                                                       "corrupt-checkpoint:step=2"})))));
  EXPECT_TRUE(fs::exists(shard(dir, 2, 0, 2)) && fs::exists(shard(dir, 2, 1, 2)));
  const std::string copy = box.path("ck-copy");
  fs::copy(dir, copy);
  fs::remove(copy + "/cairn.lock");

  const Outcome two = run(box, on_two(train(dir, 3, {"--keep-checkpoints", "3", "--resume", "--loss-log", log})));
  ASSERT_TRUE(succeeded(two));
  EXPECT_NE(two.out.find("resuming from " + ckpt(dir, 2)), std::string::npos) << two.out;
  EXPECT_EQ(slurp(log), slurp(whole)) << "a resume on the same world is not the uninterrupted job";

  const Outcome o = run(box, train(copy, 3, {"--keep-checkpoints", "3", "--resume", "--log-every", "1"}));
  ASSERT_TRUE(succeeded(o));
  EXPECT_NE(o.out.find("resuming from " + ckpt(copy, 2) + " (step 2 of 3)"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("2 ranks, this one has 1"), std::string::npos) << o.describe();
  EXPECT_NE(o.err.find("data order"), std::string::npos) << o.describe();
  EXPECT_NE(o.out.find("checkpoint " + ckpt(copy, 3) + ": step 3 verified"), std::string::npos) << o.out;
  EXPECT_TRUE(fs::exists(shard(copy, 3, 0, 1)));
}

TEST(HostileCheckpoints, TheAutomaticIntervalIsPrintedAndNeedsAnMtbf) {
  Sandbox box;
  const Outcome o = run(box, train(box.path("ck"), 6, {"--checkpoint-every", "auto", "--mtbf", "1s"}));
  ASSERT_TRUE(succeeded(o));
  EXPECT_NE(o.out.find("checkpoint interval: every "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Young/Daly: sqrt(2 x "), std::string::npos) << o.out;
  EXPECT_TRUE(refused(run(box, train(box.path("a"), 2, {"--checkpoint-every", "auto"})), 2, "train",
                      {"--checkpoint-every auto needs --mtbf"}));
  EXPECT_TRUE(refused(run(box, train(box.path("b"), 2, {"--mtbf", "24h"})), 2, "train",
                      {"--mtbf only sets the interval of --checkpoint-every auto"}));
  EXPECT_TRUE(refused(run(box, train(box.path("c"), 2, {"--checkpoint-every", "sometimes"})), 2, "train",
                      {"--checkpoint-every sometimes is not a number of steps"}));
}

TEST(HostileCheckpoints, ACheckpointOfAnotherBatchOrSeedIsRefusedNotResumed) {
  Sandbox box;
  const std::string dir = three_checkpoints(box);
  EXPECT_TRUE(refused(run(box, train(dir, 3, {"--resume", "--batch", "4"})), 2, "train", {ckpt(dir, 3), "batch"}));
  EXPECT_TRUE(refused(run(box, train(dir, 3, {"--resume", "--seed", "7"})), 2, "train", {ckpt(dir, 3), "seed"}));
  EXPECT_TRUE(fs::exists(ckpt(dir, 3)));
}

TEST(HostileCheckpoints, BadCheckpointFlagValuesNameTheFlag) {
  Sandbox box;
  const std::string dir = box.path("ck");
  EXPECT_TRUE(refused(run(box, train(dir, 2, {"--checkpoint-every=-1"})), 2, "train", {"--checkpoint-every", "-1"}));
  for (const char* keep : {"0", "-1"})
    EXPECT_TRUE(refused(run(box, train(dir, 2, {std::string("--keep-checkpoints=") + keep})), 2, "train",
                        {"--keep-checkpoints", keep}));
  EXPECT_TRUE(refused(run(box, train(dir, 2, {"--start-over"})), 2, "train", {"--start-over", "--resume"}));
  EXPECT_FALSE(fs::exists(dir)) << "a refused run created its directory";
}

}  // namespace
}  // namespace cairn::hostile

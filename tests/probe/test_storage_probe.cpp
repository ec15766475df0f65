// The storage probe on a real directory: every figure measured and nothing left behind;
// the verdict turns from pass to fail as the demand passes the measured figure; the
// demand formulas; and, where cgroup v2 can throttle a loop device, a slowed storage
// whose verdict turns at the throttle's rate.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/json_io.h"
#include "common/text_file.h"
#include "probe/storage/storage_demand.h"
#include "probe/storage/storage_probe.h"
#include "probe_test_util.h"

namespace cairn::probe::storage {
namespace {

using test::error_of;
using test::TempDir;
namespace fs = std::filesystem;

struct CliRun {
  int code = -1;
  std::string out, err;
};

CliRun cairn(const std::string& args) {
  static TempDir io("storage_cli_io");
  const std::string cmd =
      std::string(CAIRN_BINARY_DIR) + "/bin/cairn " + args + " >'" + (io / "out") + "' 2>'" + (io / "err") + "'";
  const int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text_file(io / "out", true);
  r.err = read_text_file(io / "err", true);
  return r;
}

bool is_empty(const std::string& dir) { return fs::is_empty(dir); }

// One small real run, shared by the tests that judge its figures.
const StorageFigures& measured() {
  static TempDir dir("storage_figures");
  static const StorageFigures f = [] {
    StorageOptions o;
    o.path = dir.str();
    o.threads = 2;
    o.total_bytes = 32ULL << 20;
    o.small_files = 200;
    return measure_storage(o);
  }();
  return f;
}

TEST(StorageProbe, ASmallRunReportsEveryFigureAndLeavesNothingBehind) {
  TempDir dir("storage_run");
  const CliRun r = cairn("probe storage '" + dir.str() + "' --size 64M --threads 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const Json doc = parse_json(r.out, "cairn probe storage --json");
  require_schema(doc, "cairn.storage", 1, "cairn probe storage --json");
  for (const char* figure : {"write_gb_s", "sequential_read_gb_s", "random_read_gb_s", "random_read_iops",
                             "create_per_s", "stat_per_s", "open_per_s"})
    EXPECT_GT(doc["figures"][figure].get<double>(), 0) << figure;
  EXPECT_EQ(doc["options"]["file_bytes"].get<std::uint64_t>(), 32ULL << 20);
  EXPECT_EQ(doc["verdict"], "no demand given");
  EXPECT_TRUE(is_empty(dir.str())) << "the scratch directory is still there";
}

TEST(StorageProbe, TheVerdictTurnsFromPassToFailAsTheDemandPassesTheMeasuredRate) {
  const StorageFigures& f = measured();
  const double read = std::min(f.sequential_read_gb_s, f.random_read_gb_s);
  ASSERT_GT(read, 0);
  StorageDemand d;
  d.gpus = 8;
  d.bytes_per_token = 4;
  for (const double factor : {0.5, 2.0}) {
    d.tokens_per_s_per_gpu = factor * read * 1e9 / (8 * 4);
    const auto v = judge(f, d);
    ASSERT_EQ(v.size(), 2u);
    bool pass = false;
    for (const auto& x : v) {
      EXPECT_DOUBLE_EQ(x.headroom, x.measured_gb_s / x.demanded_gb_s) << x.figure;
      if (x.measured_gb_s == read) pass = x.pass;
    }
    EXPECT_EQ(pass, factor < 1) << "demand " << factor << "x the measured read rate";
    EXPECT_EQ(all_pass(v), factor < 1);
  }
  // The write side the same way: a checkpoint that must take 10 % of the interval.
  StorageDemand w;
  w.checkpoint_bytes = 1ULL << 30;
  for (const double factor : {0.5, 2.0}) {
    w.checkpoint_every_s = static_cast<double>(*w.checkpoint_bytes) / (factor * f.write_gb_s * 1e9 * 0.10);
    const auto v = judge(f, w);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].pass, factor < 1);
    EXPECT_NEAR(v[0].headroom, 1 / factor, 1e-9);
  }
}

TEST(StorageProbe, TheExitCodeAndTheJsonCarryTheVerdict) {
  TempDir dir("storage_verdict");
  const std::string run = "probe storage '" + dir.str() + "' --size 16M --threads 1 --small-files 50 --json --gpus 1 ";
  CliRun r = cairn(run + "--tokens-per-s-per-gpu 1");  // 4 bytes/s: any storage
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(parse_json(r.out, "pass")["verdict"], "pass");
  r = cairn(run + "--tokens-per-s-per-gpu 1e13");  // 40 TB/s: none
  ASSERT_EQ(r.code, 1) << r.err;
  const Json doc = parse_json(r.out, "fail");
  EXPECT_EQ(doc["verdict"], "fail");
  EXPECT_DOUBLE_EQ(doc["demand"]["read"]["gb_s"].get<double>(), 1e13 * 4 / 1e9);
  EXPECT_TRUE(is_empty(dir.str()));
}

TEST(StorageDemand, FollowsTheFormulas) {
  StorageDemand d;
  d.tokens_per_s_per_gpu = 5000;
  d.gpus = 64;
  d.bytes_per_token = 2;
  EXPECT_DOUBLE_EQ(*d.read_gb_s(), 5000.0 * 64 * 2 / 1e9);
  EXPECT_FALSE(d.write_gb_s());
  d.checkpoint_bytes = 920'000'000'000ULL;  // Apertus-70B's checkpoint
  d.checkpoint_every_s = 3600;
  EXPECT_DOUBLE_EQ(*d.write_gb_s(), 920e9 / (3600 * kCheckpointWriteFraction) / 1e9);
  EXPECT_EQ(checkpoint_bytes_for_parameters(1000), 12000u);
}

TEST(StorageDemand, AHalfGivenSideIsRefusedNamingTheMissingFlag) {
  StorageDemand d;
  d.gpus = 8;
  EXPECT_NE(error_of([&] { validate(d); }).find("--tokens-per-s-per-gpu"), std::string::npos);
  d = {};
  d.checkpoint_bytes = 1 << 20;
  EXPECT_NE(error_of([&] { validate(d); }).find("--checkpoint-every-s"), std::string::npos);
  d = {};
  d.bytes_per_token = 3;
  EXPECT_NE(error_of([&] { validate(d); }).find("--bytes-per-token 3"), std::string::npos);
}

TEST(StorageOptions, SizesThatDoNotFitAreRefusedNamingTheFlag) {
  StorageOptions o;
  o.total_bytes = 1 << 20;
  o.threads = 4;
  EXPECT_NE(error_of([&] { validate(o); }).find("--size"), std::string::npos);
  o = {};
  o.direct = true;
  o.piece_bytes = 1000;
  EXPECT_NE(error_of([&] { validate(o); }).find("--piece-bytes 1000"), std::string::npos);
}

// Why a slowed storage cannot be made here, or "" when it can: cgroup v2's io controller
// throttles a block device (io.max), so the test needs root, a loop device and cgroup v2
// with io enabled. A stand-in that merely sleeps would test the stand-in, not the probe.
std::string cannot_throttle() {
  if (::geteuid() != 0) return "needs root for a loop device and a cgroup";
  std::ifstream controllers("/sys/fs/cgroup/cgroup.controllers");
  std::string words;
  if (!controllers || !std::getline(controllers, words))
    return "no cgroup v2 hierarchy at /sys/fs/cgroup (this host has cgroup v1)";
  if ((" " + words + " ").find(" io ") == std::string::npos) return "cgroup v2 has no io controller here";
  if (std::system("command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null") != 0)
    return "needs losetup and mkfs.ext4";
  return "";
}

std::string sh_output(const std::string& cmd) {
  static TempDir io("storage_sh");
  if (std::system((cmd + " >'" + (io / "out") + "'").c_str()) != 0) return "";
  std::string s = read_text_file(io / "out", true);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(StorageProbe, AThrottledLoopDeviceTurnsTheVerdictAtTheThrottlesRate) {
  if (const std::string why = cannot_throttle(); !why.empty()) GTEST_SKIP() << "no slowed storage: " << why;
  TempDir dir("storage_throttled");
  const std::string image = dir / "disk.img", mnt = dir / "mnt", cg = "/sys/fs/cgroup/cairn-storage-" +
                                                                     std::to_string(::getpid());
  ASSERT_EQ(std::system(("truncate -s 512M '" + image + "' && mkfs.ext4 -q -F '" + image + "'").c_str()), 0);
  const std::string loop = sh_output("losetup -f --show '" + image + "'");
  ASSERT_FALSE(loop.empty()) << "losetup found no free loop device";
  struct Cleanup {
    std::string loop, mnt, cg;
    ~Cleanup() {
      (void)std::system(("umount '" + mnt + "' 2>/dev/null; losetup -d '" + loop + "'; rmdir '" + cg + "' 2>/dev/null").c_str());
    }
  } cleanup{loop, mnt, cg};
  fs::create_directories(mnt);
  ASSERT_EQ(std::system(("mount '" + loop + "' '" + mnt + "'").c_str()), 0);
  const std::string majmin = sh_output("lsblk -dno MAJ:MIN '" + loop + "'");
  ASSERT_FALSE(majmin.empty());
  // 20 MB/s each way, far below any loop device on a page cache.
  constexpr double kThrottleBytesPerS = 20e6;
  ASSERT_EQ(std::system(("echo +io > /sys/fs/cgroup/cgroup.subtree_control; mkdir -p '" + cg + "' && echo '" + majmin +
                         " rbps=20000000 wbps=20000000' > '" + cg + "/io.max'").c_str()), 0);
  // The probe runs inside the cgroup: the shell moves itself in, then becomes cairn.
  const std::string base = std::string("sh -c 'echo $$ > ") + cg + "/cgroup.procs && exec " + CAIRN_BINARY_DIR +
                           "/bin/cairn probe storage " + mnt +
                           " --size 64M --threads 2 --small-files 50 --direct --json --gpus 1 --tokens-per-s-per-gpu ";
  auto verdict = [&](double demand_bytes_per_s) {
    const std::string out = sh_output(base + std::to_string(demand_bytes_per_s / 4) + "'; true");
    return parse_json(out, "throttled probe");
  };
  const Json slow = verdict(kThrottleBytesPerS / 2);
  EXPECT_LT(slow["figures"]["sequential_read_gb_s"].get<double>(), 1.2 * kThrottleBytesPerS / 1e9);
  EXPECT_EQ(slow["verdict"], "pass") << slow.dump();
  EXPECT_EQ(verdict(kThrottleBytesPerS * 2)["verdict"], "fail");
}

}  // namespace
}  // namespace cairn::probe::storage

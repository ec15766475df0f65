// `cairn probe storage PATH` against paths it cannot use and signals mid-run: a missing
// path, a file, a directory this user may not write, a read-only and a full filesystem,
// SIGINT and SIGTERM. Each ends in one line and exit 2, and nothing the probe made is
// left behind (its scratch directory is PATH/cairn-storage-XXXXXX). Then `cairn
// acceptance --data-path/--checkpoint-path` (one rank): a demand the path meets passes,
// one far above it fails, and its bad storage flags are refused before anything runs.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/json_io.h"
#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::vector<std::string> probe_storage(const std::string& path, std::vector<std::string> flags = {}) {
  std::vector<std::string> args = {"probe", "storage", path};
  args.insert(args.end(), flags.begin(), flags.end());
  return args;
}

// Entries of dir, as a message lists them (empty: nothing left behind).
std::string entries(const std::string& dir) {
  std::string names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names += e.path().filename().string() + " ";
  return names;
}

// A tmpfs mounted for one case, unmounted when the case ends (before its sandbox goes).
struct Tmpfs {
  std::string at;
  bool mounted = false;
  Tmpfs(std::string where, const char* options, unsigned long flags = 0) : at(std::move(where)) {
    mounted = ::geteuid() == 0 && ::mount("tmpfs", at.c_str(), "tmpfs", flags, options) == 0;
  }
  ~Tmpfs() {
    if (mounted) ::umount2(at.c_str(), MNT_DETACH);
  }
};

TEST(HostileStorage, AMissingPathIsRefused) {
  Sandbox box;
  const std::string missing = box.path("no/such/dir");
  EXPECT_TRUE(refused(run(box, {.args = probe_storage(missing)}), 2, "probe", {missing, "no such directory"}));
}

TEST(HostileStorage, AFileIsRefusedAsNotADirectory) {
  Sandbox box;
  const std::string file = box.write("plain", "not a directory\n");
  EXPECT_TRUE(refused(run(box, {.args = probe_storage(file)}), 2, "probe", {file, "a regular file, not a directory"}));
}

TEST(HostileStorage, ADirectoryThisUserMayNotWriteIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the case as nobody";
  Sandbox box;
  box.give_to_nobody();
  const std::string locked = box.mkdir("locked");  // root's, 0755: nobody may not create files in it
  const Outcome o = run(box, {.args = probe_storage(locked, {"--size", "4M"}), .as_nobody = true});
  EXPECT_TRUE(refused(o, 2, "probe", {locked, "may not create files"}));
  EXPECT_EQ(entries(locked), "");
}

TEST(HostileStorage, AReadOnlyFilesystemIsRefused) {
  Sandbox box;
  Tmpfs ro(box.mkdir("ro"), "size=1m", MS_RDONLY);
  if (!ro.mounted) GTEST_SKIP() << "cannot mount a read-only tmpfs here (needs root and CAP_SYS_ADMIN)";
  EXPECT_TRUE(refused(run(box, {.args = probe_storage(ro.at, {"--size", "4M"})}), 2, "probe",
                      {ro.at, "read-only filesystem"}));
}

TEST(HostileStorage, AFilesystemTooSmallIsRefusedBeforeTheFirstWrite) {
  Sandbox box;
  Tmpfs small(box.mkdir("small"), "size=8m");
  if (!small.mounted) GTEST_SKIP() << "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)";
  const Outcome o = run(box, {.args = probe_storage(small.at, {"--size", "64M"})});
  EXPECT_TRUE(refused(o, 2, "probe", {small.at, "free", "smaller --size"}));
  EXPECT_EQ(entries(small.at), "");
}

// The free-space check passes, and the filesystem runs out of inodes among the small
// files: the error mid-run still removes every file made so far.
TEST(HostileStorage, AFilesystemThatRunsFullMidRunLeavesNothingBehind) {
  Sandbox box;
  Tmpfs full(box.mkdir("full"), "size=64m,nr_inodes=64");
  if (!full.mounted) GTEST_SKIP() << "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)";
  const Outcome o = run(box, {.args = probe_storage(full.at, {"--size", "8M", "--threads", "2", "--small-files", "500"})});
  EXPECT_TRUE(refused(o, 2, "probe", {"filesystem ran full", "No space left on device"}));
  EXPECT_EQ(entries(full.at), "");
}

class InterruptedProbe : public ::testing::TestWithParam<int> {};

TEST_P(InterruptedProbe, StopsNamingThePatternAndLeavesNothingBehind) {
  const int sig = GetParam();
  Sandbox box;
  const std::string dir = box.mkdir("data");
  // Big enough that the write alone takes seconds on any disk; the signal lands inside it.
  Running r = start(box, {.args = probe_storage(dir, {"--size", "8G", "--threads", "2"}), .timeout = 60s});
  bool writing = false;
  for (auto until = std::chrono::steady_clock::now() + 10s; !writing && std::chrono::steady_clock::now() < until;) {
    for (const auto& scratch : fs::directory_iterator(dir))
      if (fs::exists(scratch.path() / "large-0.tmp") && fs::file_size(scratch.path() / "large-0.tmp") > 0) writing = true;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(writing) << "no large file within 10 s";
  const auto sent = std::chrono::steady_clock::now();
  ::kill(r.pid(), sig);
  const Outcome o = r.wait();
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  EXPECT_LT(took, 5.0) << "took " << took << " s to stop";
  EXPECT_TRUE(refused(o, 2, "probe", {sig == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM",
                                      "the checkpoint writes"}));
  EXPECT_EQ(entries(dir), "");
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptedProbe, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& p) { return p.param == SIGINT ? "SIGINT" : "SIGTERM"; });

// One rank of acceptance, small and quick: only the storage checks matter here.
std::vector<std::string> acceptance(std::vector<std::string> flags, const std::string& storage_size = "8M") {
  std::vector<std::string> args = {"acceptance", "--backend", "ucx", "--no-probe", "--repeats", "3",
                                   "--extra-rounds", "0", "--triad-bytes", "3M", "--gemm-side", "32",
                                   "--storage-size", storage_size, "--json"};
  args.insert(args.end(), flags.begin(), flags.end());
  return args;
}

const Json* find_check(const Json& doc, const std::string& name) {
  for (const Json& c : doc["checks"])
    if (c.value("name", "") == name) return &c;
  return nullptr;
}

TEST(HostileStorage, AcceptanceStorageVerdictFollowsTheDemand) {
  Sandbox box;
  const std::string data = box.mkdir("data"), ckpt = box.mkdir("ckpt");
  // Read 1000 tokens/s x 1 GPU x 4 bytes = 4 KB/s; a 1 MiB checkpoint every hour.
  const Outcome met = run(box, {.args = acceptance({"--data-path", data, "--checkpoint-path", ckpt,
                                                    "--tokens-per-s-per-gpu", "1000", "--gpus", "1",
                                                    "--checkpoint-bytes", "1M", "--checkpoint-every-s", "3600"})});
  ASSERT_EQ(met.exit_code, 0) << met.describe();
  const Json ok = Json::parse(met.out);
  for (const char* name : {"storage_read", "storage_write"}) {
    const Json* c = find_check(ok, name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ((*c)["verdict"], "pass") << (*c)["evidence"];
    EXPECT_EQ((*c)["threshold_from"], "demand");
    std::printf("%s: measured %.4g GB/s, demanded %.4g GB/s: pass\n", name, (*c)["median"].get<double>(),
                (*c)["threshold"].get<double>());
  }
  // 10^9 tokens/s x 1000 GPUs x 4 bytes = 4000 GB/s: beyond any filesystem.
  const Outcome short_of = run(box, {.args = acceptance({"--data-path", data, "--tokens-per-s-per-gpu", "1e9",
                                                         "--gpus", "1000"})});
  ASSERT_EQ(short_of.exit_code, 1) << short_of.describe();
  const Json bad = Json::parse(short_of.out);
  const Json* c = find_check(bad, "storage_read");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ((*c)["verdict"], "fail") << (*c)["evidence"];
  EXPECT_EQ(bad["verdict"], "rejected");
  std::printf("storage_read: measured %.4g GB/s, demanded %.4g GB/s: fail\n", (*c)["median"].get<double>(),
              (*c)["threshold"].get<double>());
  EXPECT_EQ(entries(data), "");
  EXPECT_EQ(entries(ckpt), "");
}

TEST(HostileStorage, AcceptanceRefusesBadStorageFlags) {
  Sandbox box;
  const std::string data = box.mkdir("data");
  const std::string missing = box.path("no/such/dir"), file = box.write("plain", "x\n");
  EXPECT_TRUE(refused(run(box, {.args = acceptance({"--data-path", missing})}), 2, "acceptance",
                      {"--data-path", missing, "no such directory"}));
  EXPECT_TRUE(refused(run(box, {.args = acceptance({"--checkpoint-path", file})}), 2, "acceptance",
                      {"--checkpoint-path", file, "not a directory"}));
  EXPECT_TRUE(refused(run(box, {.args = acceptance({"--data-path", data}, "1M")}), 2, "acceptance",
                      {"--storage-size 1048576", "4194304"}));
  EXPECT_TRUE(refused(run(box, {.args = acceptance({"--data-path", data}, "lots")}), 2,
                      "acceptance", {"--storage-size", "lots"}));
  EXPECT_TRUE(refused(run(box, {.args = acceptance({"--data-path", data, "--gpus", "8"})}), 2, "acceptance",
                      {"--gpus", "--tokens-per-s-per-gpu"}));
  EXPECT_TRUE(refused(run(box, {.args = acceptance({"--data-path", data, "--checkpoint-every-s", "-1",
                                                    "--checkpoint-bytes", "1G"})}),
                      2, "acceptance", {"--checkpoint-every-s"}));
  EXPECT_EQ(entries(data), "");
  Tmpfs small(box.mkdir("small"), "size=8m");  // two samples of 8M need 16M
  if (!small.mounted) return;
  EXPECT_TRUE(refused(run(box, {.args = acceptance({"--checkpoint-path", small.at})}), 2, "acceptance",
                      {"--checkpoint-path", small.at, "free", "smaller --storage-size"}));
  EXPECT_EQ(entries(small.at), "");
}

}  // namespace
}  // namespace cairn::hostile

// `mpirun -np 2 cairn bench` on one host: Open MPI names no master address, so the ranks
// must find rank 0 on this host by themselves (rank_detect: local size == world size).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <sys/wait.h>

namespace {

const std::string kCairn = CAIRN_BINARY_DIR "/bin/cairn";

// mpirun's path on PATH, or "".
std::string find_mpirun() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((dir + "/mpirun").c_str(), X_OK) == 0) return dir + "/mpirun";
  return "";
}

TEST(MpirunCli, TwoRanksOnOneHostRendezvousWithoutMasterAddr) {
  const std::string mpirun = find_mpirun();
  if (mpirun.empty()) GTEST_SKIP() << "mpirun is not on PATH (scripts/deps.sh installs openmpi-bin)";
  // The ranks inherit this environment: the secret, and no master address to lean on.
  ::setenv("CAIRN_SECRET", "mpirun-test-secret", 1);
  ::setenv("CAIRN_STORE_TIMEOUT_S", "30", 1);
  for (const char* v : {"MASTER_ADDR", "MASTER_PORT", "CAIRN_RANK", "RANK", "WORLD_SIZE", "SLURM_PROCID"})
    ::unsetenv(v);
  const std::string cmd = mpirun + " --allow-run-as-root --oversubscribe -np 2 " + kCairn +
                          " bench --backend ucx -b 1K -e 1K 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << "\n" << out;
  EXPECT_EQ(out.find("no master address"), std::string::npos) << out;
  EXPECT_NE(out.find("#  Rank  1 Group  0"), std::string::npos) << out;
  EXPECT_NE(out.find("# Out of bounds values : 0 OK"), std::string::npos) << out;
}

}  // namespace

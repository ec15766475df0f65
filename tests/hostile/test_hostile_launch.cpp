// Hostile cases of `cairn launch`: more ranks than the node can hold, bad flag values, a
// command that does not exist, ranks that fail at once, launcher environments that lie.
#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

using namespace std::chrono_literals;

TEST(HostileLaunch, MoreRanksThanTheCpusCanTakeIsRefusedBeforeAnythingStarts) {
  Sandbox box;
  const Outcome o = run(box, {.args = {"launch", "-n", "100000", "--", cairn_binary(), "bench"}, .timeout = 10s});
  EXPECT_TRUE(refused(o, 2, "launch", {"-n 100000", "CPU", "--oversubscribe"}));
  EXPECT_LT(o.seconds, 2);
}

TEST(HostileLaunch, MoreRanksThanTheMemoryCanHoldIsRefused) {
  Sandbox box;
  const Outcome o = run(box, {.args = {"launch", "-n", "100000000", "--oversubscribe", "--", "/bin/true"}, .timeout = 10s});
  EXPECT_TRUE(refused(o, 2, "launch", {"-n 100000000", "memory", "lower -n"}));
  EXPECT_LT(o.seconds, 2);
}

TEST(HostileLaunch, MoreRanksThanTheOpenFileLimitAllowsIsRefused) {
  Sandbox box;
  const Outcome o = run(box, {.args = {"launch", "-n", "12", "--oversubscribe", "--", "/bin/true"}, .timeout = 10s,
                              .max_open_files = 24});
  EXPECT_TRUE(refused(o, 2, "launch", {"-n 12", "RLIMIT_NOFILE", "ulimit -n"}));
}

TEST(HostileLaunch, ACommandThatDoesNotExistIsOneLineBeforeAnyRankStarts) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = {"launch", "-n", "2", "--", "no-such-program"}}), 2, "launch",
                      {"'no-such-program'", "PATH"}));
  EXPECT_TRUE(refused(run(box, {.args = {"launch", "-n", "2", "--", box.path("missing")}}), 2, "launch",
                      {box.path("missing"), "No such file"}));
  EXPECT_TRUE(refused(run(box, {.args = {"launch", "-n", "2", "--", box.dir()}}), 2, "launch", {"directory"}));
}

TEST(HostileLaunch, ARankThatFailsAtOnceIsNamedOnce) {
  Sandbox box;
  const Outcome o = run(box, {.args = {"launch", "-n", "2", "--", "/bin/sh", "-c", "[ \"$RANK\" = 1 ] && exit 1; exec sleep 20"}});
  EXPECT_TRUE(refused(o, 1, "launch", {"rank 1 exited with code 1", "of 2 ranks"}));
  EXPECT_LT(o.seconds, 10);
  EXPECT_TRUE(refused(run(box, {.args = {"launch", "-n", "3", "--", "/bin/false"}}), 1, "launch",
                      {"exited with code 1"}));
}

TEST(HostileLaunch, BadFlagValuesNameTheFlag) {
  Sandbox box;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-n", "0"}, "-n 0"},
      {{"-n", "-5"}, "-n -5"},
      {{"-n", "2", "--nnodes", "0"}, "--nnodes 0"},
      {{"-n", "2", "--nnodes", "-1"}, "--nnodes -1"},
      {{"-n", "2", "--nnodes", "2", "--node-rank", "2"}, "--node-rank 2"},
      {{"-n", "2", "--node-rank", "-1"}, "--node-rank -1"},
      {{"-n", "2", "--master-port", "70000"}, "--master-port 70000"},
      {{"-n", "2", "--master-port", "-1"}, "--master-port -1"},
      {{"-n", "2", "--grace-s", "-1"}, "--grace-s"},
      {{"-n", "2", "--grace-s", "nan"}, "--grace-s"},
  };
  for (const auto& [flags, name] : cases) {
    std::vector<std::string> args = {"launch"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--", "/bin/true"});
    EXPECT_TRUE(refused(run(box, {.args = args}), 2, "launch", {name})) << flags.back();
  }
}

TEST(HostileLaunch, AGraceTooLongToCountIsRefused) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = {"launch", "-n", "2", "--grace-s", "1e300", "--", "/bin/true"}}), 2, "launch",
                      {"--grace-s 1e+300", "86400"}));
}

// A rank started by a launcher whose environment lies: cairn bench reads it directly.
TEST(HostileLaunch, MalformedLauncherEnvironmentsAreOneLineNamingTheVariable) {
  Sandbox box;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"RANK=2", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29999"}, "RANK"},
      {{"RANK=-1", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29999"}, "RANK"},
      {{"RANK=0", "WORLD_SIZE=two", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=29999"}, "WORLD_SIZE"},
      {{"RANK=0", "WORLD_SIZE=99999999999999999999", "MASTER_ADDR=127.0.0.1"}, "WORLD_SIZE"},
      {{"RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=99999"}, "MASTER_PORT"},
      {{"RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=-5"}, "MASTER_PORT"},
      {{"RANK=0", "WORLD_SIZE=2", "LOCAL_RANK=x", "MASTER_ADDR=127.0.0.1"}, "LOCAL_RANK"},
      {{"OMPI_COMM_WORLD_RANK=3", "OMPI_COMM_WORLD_SIZE=2"}, "OMPI_COMM_WORLD_RANK"},
      {{"OMPI_COMM_WORLD_RANK=0", "OMPI_COMM_WORLD_SIZE=-2"}, "OMPI_COMM_WORLD_SIZE"},
      {{"SLURM_PROCID=5", "SLURM_NTASKS=2"}, "SLURM_PROCID"},
      {{"SLURM_PROCID=0", "SLURM_NTASKS=1e9"}, "SLURM_NTASKS"},
  };
  for (const auto& [env, name] : cases) {
    std::vector<std::string> full = env;
    full.push_back("CAIRN_SECRET=s3cret");
    full.push_back("CAIRN_STORE_TIMEOUT_S=2");
    const Outcome o = run(box, {.args = {"bench", "--backend", "ucx", "-b", "8", "-e", "8", "-n", "1"}, .env = full,
                                .timeout = 15s});
    EXPECT_TRUE(refused(o, 2, "bench", {name})) << env.front() << " " << env[1];
  }
}

}  // namespace
}  // namespace cairn::hostile

// plan_launch: what `cairn launch` would start, without starting it: global ranks, each
// rank's environment and CPUs, the job's port and secret, and the lines it reports first.
#include <gtest/gtest.h>

#include "collectives/launch/launch_limits.h"
#include "collectives/launch/launch_plan.h"
#include "collectives/launch/local_launcher.h"
#include "tests/support/error_of.h"

namespace cairn::coll {
namespace {

using ::cairn::test::error_of;

LaunchOptions options(int ranks) {
  LaunchOptions o;
  o.ranks = ranks;
  o.command = {"true"};
  return o;
}

const FreshJob kFresh{31337, "0123456789abcdef0123456789abcdef", "cafe1234"};

// Two sockets of 4 CPUs, one GPU each, a NIC on socket 1 only.
NodeFacts small_node() {
  NodeFacts n;
  n.allowed_cpus = {0, 1, 2, 3, 4, 5, 6, 7};
  n.numa_cpus = {{0, {0, 1, 2, 3}}, {1, {4, 5, 6, 7}}};
  n.gpus = {{0, 0, std::nullopt}, {1, 1, "mlx5_1"}};
  n.gpu_nics_chosen = true;
  n.nics = {{"mlx5_1", 1}};
  return n;
}

TEST(PlanLaunch, OneNodeUsesWhatItDrewAndBindsNothingUnasked) {
  const LaunchPlan p = plan_launch(options(3), {{"PATH", "/bin"}}, kFresh, std::nullopt);
  ASSERT_EQ(p.ranks.size(), 3u);
  EXPECT_TRUE(p.messages.empty());
  for (int r = 0; r < 3; ++r) {
    const RankLaunch& rk = p.ranks[static_cast<std::size_t>(r)];
    EXPECT_EQ(rk.rank, r);
    EXPECT_TRUE(rk.cpus.empty());
    EXPECT_EQ(rk.env.at("PATH"), "/bin");
    EXPECT_EQ(rk.env.at("CAIRN_RANK"), std::to_string(r));
    EXPECT_EQ(rk.env.at("MASTER_ADDR"), "127.0.0.1");
    EXPECT_EQ(rk.env.at("MASTER_PORT"), "31337");
    EXPECT_EQ(rk.env.at("CAIRN_SECRET"), kFresh.secret);
    EXPECT_EQ(rk.env.at("CAIRN_JOB_ID"), "local-cafe1234");
    EXPECT_EQ(rk.env.count("CUDA_VISIBLE_DEVICES"), 0u);
  }
  LaunchOptions fixed = options(1);
  fixed.master_port = 29999;
  EXPECT_EQ(plan_launch(fixed, {}, kFresh, std::nullopt).ranks[0].env.at("MASTER_PORT"), "29999");
}

TEST(PlanLaunch, SeveralNodesDeriveOneJobFromTheirOptionsAndEnvironment) {
  LaunchOptions o = options(4);
  o.nnodes = 2;
  o.node_rank = 1;
  o.master_addr = "node0";
  o.master_port = 29400;
  const LaunchPlan p = plan_launch(o, {{"CAIRN_SECRET", "shared"}}, FreshJob{}, std::nullopt);
  EXPECT_EQ(p.ranks.front().rank, 4);
  EXPECT_EQ(p.ranks.back().rank, 7);
  EXPECT_EQ(p.ranks.back().env.at("WORLD_SIZE"), "8");
  EXPECT_EQ(p.ranks.back().env.at("CAIRN_SECRET"), "shared");
  EXPECT_EQ(p.ranks.back().env.at("CAIRN_JOB_ID"), store_address("node0", 29400));
  EXPECT_NE(error_of([&] { plan_launch(o, {}, FreshJob{}, std::nullopt); })
                .find("--nnodes 2: export the same CAIRN_SECRET on every node"),
            std::string::npos);
  o.master_addr.clear();
  EXPECT_NE(error_of([&] { plan_launch(o, {{"CAIRN_SECRET", "s"}}, FreshJob{}, std::nullopt); })
                .find("--nnodes 2: give --master-addr"),
            std::string::npos);
  EXPECT_TRUE(draw_fresh_job(o).secret.empty());  // nothing random for several nodes
}

TEST(PlanLaunch, BindGivesEachRankItsBindingAndSaysSo) {
  LaunchOptions o = options(2);
  o.bind = true;
  const LaunchPlan p = plan_launch(o, {}, kFresh, small_node());
  EXPECT_EQ(p.ranks[0].cpus, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(p.ranks[1].cpus, (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(p.ranks[0].env.at("CUDA_VISIBLE_DEVICES"), "0");
  EXPECT_EQ(p.ranks[0].env.count("UCX_NET_DEVICES"), 0u);
  EXPECT_EQ(p.ranks[1].env.at("NCCL_IB_HCA"), "=mlx5_1");
  EXPECT_EQ(p.messages, (std::vector<std::string>{"cairn launch: rank 0: CPUs 0-3, GPU 0\n",
                                                  "cairn launch: rank 1: CPUs 4-7, GPU 1, NIC mlx5_1\n"}));
  o.ranks = 4;
  EXPECT_EQ(plan_launch(o, {}, kFresh, small_node()).messages.front(), "cairn launch: 4 ranks share 2 GPUs\n");
  EXPECT_NE(error_of([&] { plan_launch(o, {}, kFresh, std::nullopt); }).find("--bind"), std::string::npos);
}

TEST(PlanLaunch, BindKeepsToTheGpusCudaVisibleDevicesLeaves) {
  LaunchOptions o = options(1);
  o.bind = true;
  const LaunchPlan p = plan_launch(o, {{"CUDA_VISIBLE_DEVICES", "1"}}, kFresh, small_node());
  EXPECT_EQ(p.ranks[0].env.at("CUDA_VISIBLE_DEVICES"), "1");
  EXPECT_EQ(p.ranks[0].cpus, (std::vector<int>{4, 5, 6, 7}));
  EXPECT_NE(error_of([&] { plan_launch(o, {{"CUDA_VISIBLE_DEVICES", "GPU-5f2e"}}, kFresh, small_node()); })
                .find("names GPUs by UUID"),
            std::string::npos);
}

TEST(PlanLaunch, BadOptionsNameTheFlag) {
  EXPECT_EQ(error_of([] { plan_launch(options(0), {}, kFresh, std::nullopt); }), "-n 0 must be at least 1");
  LaunchOptions o = options(1);
  o.command.clear();
  EXPECT_NE(error_of([&] { validate_launch_options(o); }).find("no command"), std::string::npos);
  o = options(1);
  o.master_port = 70000;
  EXPECT_EQ(error_of([&] { validate_launch_options(o); }), "--master-port 70000 is out of range 1-65535");
  o = options(1);
  o.nnodes = 2;
  o.node_rank = 2;
  EXPECT_EQ(error_of([&] { validate_launch_options(o); }), "--node-rank 2 must be in [0, --nnodes 2)");
}

// A node of 2 CPUs, 16 GiB available, 1024 open files (20 open), 500 processes (100 in use).
LaunchResources small_resources() {
  return {.usable_cpus = 2, .available_memory_bytes = 16ull << 30, .max_open_files = 1024, .open_files = 20,
          .max_processes = 500, .processes = 100};
}

TEST(LaunchLimits, UpToFourRanksPerCpuStartWithoutOversubscribe) {
  EXPECT_NO_THROW(check_launch_fits(options(8), small_resources()));
  EXPECT_EQ(error_of([] { check_launch_fits(options(9), small_resources()); }),
            "-n 9 is more than 4 ranks for each of the 2 CPU(s) this process may use: lower -n, or pass "
            "--oversubscribe if that is what you mean");
  LaunchOptions o = options(200);
  o.oversubscribe = true;
  EXPECT_NO_THROW(check_launch_fits(o, small_resources()));
}

TEST(LaunchLimits, MemoryOpenFilesAndProcessesAreCheckedEachNamingItsLimit) {
  LaunchOptions o = options(257);  // 257 x 64 MiB > 16 GiB
  o.oversubscribe = true;
  EXPECT_NE(error_of([&] { check_launch_fits(o, small_resources()); }).find("needs at least 16.1 GiB of memory"),
            std::string::npos);
  o.ranks = 200;  // 20 + 16 + 400 files > 1024? no: fits; 500 ranks do not
  EXPECT_NO_THROW(check_launch_fits(o, small_resources()));
  LaunchResources r = small_resources();
  r.available_memory_bytes = 0;  // unknown: not checked
  o.ranks = 600;
  EXPECT_EQ(error_of([&] { check_launch_fits(o, r); }),
            "-n 600 needs about 1236 open files in the launcher (two output pipes a rank) and its limit is 1024 "
            "(RLIMIT_NOFILE): raise it with 'ulimit -n 1236', or lower -n");
  o.prefix_output = false;  // no pipes: only the processes limit is left
  EXPECT_EQ(error_of([&] { check_launch_fits(o, r); }),
            "-n 600 more processes would pass this user's limit of 500 (RLIMIT_NPROC; 100 in use): raise it "
            "with 'ulimit -u', or lower -n");
  r.max_processes = 0;  // root, or unlimited
  EXPECT_NO_THROW(check_launch_fits(o, r));
}

TEST(LaunchLimits, ThisNodesResourcesAreRead) {
  const LaunchResources r = read_launch_resources();
  EXPECT_GE(r.usable_cpus, 1);
  EXPECT_GT(r.available_memory_bytes, 0u);
  EXPECT_GT(r.open_files, 2u);
}

TEST(LaunchLimits, TheProgramIsFoundInPathOrNamedWithWhatIsWrong) {
  EXPECT_EQ(find_program("sh", "/nonexistent:/bin"), "/bin/sh");
  EXPECT_EQ(find_program("/bin/sh", ""), "/bin/sh");
  EXPECT_EQ(error_of([] { find_program("no-such-program", "/nonexistent:/bin"); }),
            "command 'no-such-program' not found in PATH (/nonexistent:/bin): give its full path or fix PATH");
  EXPECT_EQ(error_of([] { find_program("/nonexistent/x", "/bin"); }),
            "cannot run '/nonexistent/x': No such file or directory: check the path after '--'");
  EXPECT_EQ(error_of([] { find_program("/tmp", "/bin"); }),
            "cannot run '/tmp': it is a directory: check the path after '--'");
  EXPECT_NE(error_of([] { find_program("x", std::string(5000, 'p')); }).find("pppp...)"), std::string::npos);
}

}  // namespace
}  // namespace cairn::coll

// plan_launch: what `cairn launch` would start, without starting it: global ranks, each
// rank's environment and CPUs, the job's port and secret, and the lines it reports first.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cairn::coll

// `cairn launch --bind` plans on made-up nodes (GPUs with NUMA affinity and NICs, a
// cgroup-restricted CPU set, unknown NUMA nodes, CPU-only nodes) and on captured
// topologies, where each GPU must get the NIC and CPUs `cairn topo` reports for it.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "collectives/launch/local_launcher.h"
#include "collectives/launch/rank_binding.h"
#include "probe/cpuset.h"
#include "probe/discover.h"
#include "tests/support/fixtures.h"
#include "tests/support/shared_topologies.h"
#include "topology/from_probe.h"
#include "topology/load.h"
#include "topology/paths.h"

namespace cairn::coll {
namespace {

std::vector<int> range(int lo, int hi) {  // [lo, hi]
  std::vector<int> v;
  for (int i = lo; i <= hi; ++i) v.push_back(i);
  return v;
}

// Two sockets of 8 CPUs, two GPUs and one NIC on each (a DGX-like layout in miniature).
NodeFacts two_socket_node() {
  NodeFacts n;
  n.allowed_cpus = range(0, 15);
  n.numa_cpus = {{0, range(0, 7)}, {1, range(8, 15)}};
  n.gpus = {{0, 0}, {1, 0}, {2, 1}, {3, 1}};
  n.nics = {{"mlx5_0", 0}, {"mlx5_1", 1}};
  return n;
}

TEST(PlanBinding, EachGpuGetsHalfItsSocketAndTheSocketsNic) {
  const auto plan = plan_binding(two_socket_node(), 4);
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan[0].cpus, range(0, 3));
  EXPECT_EQ(plan[1].cpus, range(4, 7));
  EXPECT_EQ(plan[2].cpus, range(8, 11));
  EXPECT_EQ(plan[3].cpus, range(12, 15));
  for (int r = 0; r < 4; ++r) EXPECT_EQ(plan[static_cast<std::size_t>(r)].gpu, r);
  EXPECT_EQ(plan[0].nic, "mlx5_0");
  EXPECT_EQ(plan[1].nic, "mlx5_0");
  EXPECT_EQ(plan[3].nic, "mlx5_1");
}

TEST(PlanBinding, OneNicPerGpuWhenTheSocketHasSeveral) {
  NodeFacts n = two_socket_node();
  n.nics = {{"mlx5_0", 0}, {"mlx5_1", 0}, {"mlx5_2", 1}, {"mlx5_3", 1}};
  const auto plan = plan_binding(n, 4);
  EXPECT_EQ(plan[0].nic, "mlx5_0");
  EXPECT_EQ(plan[1].nic, "mlx5_1");
  EXPECT_EQ(plan[2].nic, "mlx5_2");
  EXPECT_EQ(plan[3].nic, "mlx5_3");
}

TEST(PlanBinding, StaysInsideTheAllowedCpus) {
  NodeFacts n = two_socket_node();
  n.allowed_cpus = {9, 8, 10, 11, 0, 1, 2, 3};  // a cgroup's share, unsorted
  const auto plan = plan_binding(n, 4);
  EXPECT_EQ(plan[0].cpus, range(0, 1));
  EXPECT_EQ(plan[1].cpus, range(2, 3));
  EXPECT_EQ(plan[2].cpus, range(8, 9));
  EXPECT_EQ(plan[3].cpus, range(10, 11));
}

TEST(PlanBinding, MoreRanksThanGpusShareThem) {
  const auto plan = plan_binding(two_socket_node(), 8);
  EXPECT_EQ(plan[4].gpu, 0);
  EXPECT_EQ(plan[7].gpu, 3);
  // Ranks 0, 1, 4, 5 share socket 0's 8 CPUs: two each.
  EXPECT_EQ(plan[0].cpus, range(0, 1));
  EXPECT_EQ(plan[5].cpus, range(6, 7));
}

TEST(PlanBinding, UnknownNumaFallsBackToTheWholeAllowedSet) {
  NodeFacts n;
  n.allowed_cpus = range(0, 5);
  n.gpus = {{0, -1}, {1, -1}};
  n.nics = {{"mlx5_0", -1}};
  const auto plan = plan_binding(n, 2);
  EXPECT_EQ(plan[0].cpus, range(0, 2));
  EXPECT_EQ(plan[1].cpus, range(3, 5));
  EXPECT_EQ(plan[1].gpu, 1);
  EXPECT_FALSE(plan[0].nic);  // a NIC of unknown place is left to the library
}

TEST(PlanBinding, WithoutGpusTheAllowedCpusAreSplitEvenly) {
  NodeFacts n;
  n.allowed_cpus = range(0, 9);
  n.numa_cpus = {{0, range(0, 4)}, {1, range(5, 9)}};
  n.nics = {{"mlx5_1", 1}};
  const auto plan = plan_binding(n, 3);
  EXPECT_EQ(plan[0].cpus, range(0, 2));
  EXPECT_EQ(plan[1].cpus, range(3, 5));
  EXPECT_EQ(plan[2].cpus, range(6, 9));
  EXPECT_FALSE(plan[0].gpu);
  EXPECT_FALSE(plan[0].nic);
  EXPECT_EQ(plan[2].nic, "mlx5_1");

  n.allowed_cpus = {4, 5};
  const auto crowded = plan_binding(n, 3);
  EXPECT_EQ(crowded[0].cpus, std::vector<int>{4});
  EXPECT_EQ(crowded[1].cpus, std::vector<int>{5});
  EXPECT_EQ(crowded[2].cpus, std::vector<int>{4});
}

TEST(BindingEnvironment, NamesGpuInPciOrderAndNicExactly) {
  RankBinding b;
  b.cpus = {0};
  b.gpu = 3;
  b.nic = "mlx5_1";
  const auto env = binding_environment(b);
  EXPECT_EQ(env.at("CUDA_VISIBLE_DEVICES"), "3");
  EXPECT_EQ(env.at("CUDA_DEVICE_ORDER"), "PCI_BUS_ID");
  EXPECT_EQ(env.at("UCX_NET_DEVICES"), "mlx5_1:1");
  EXPECT_EQ(env.at("NCCL_IB_HCA"), "=mlx5_1");  // not a prefix of mlx5_10
  EXPECT_TRUE(binding_environment(RankBinding{{0, 1}, {}, {}}).empty());
  EXPECT_EQ(cpu_list_text({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
}

TEST(NodeFacts, ThisNodeHasAnAllowedCpuOnAKnownNumaNode) {
  const NodeFacts n = read_node_facts();
  ASSERT_FALSE(n.allowed_cpus.empty());
  EXPECT_TRUE(std::is_sorted(n.allowed_cpus.begin(), n.allowed_cpus.end()));
  if (n.numa_cpus.empty()) GTEST_SKIP() << "no /sys/devices/system/node here";
  bool placed = false;
  for (const auto& [node, cpus] : n.numa_cpus)
    placed |= std::find(cpus.begin(), cpus.end(), n.allowed_cpus.front()) != cpus.end();
  EXPECT_TRUE(placed);
  // And a plan for it covers every rank with CPUs we may use.
  for (const auto& b : plan_binding(n, 3)) {
    ASSERT_FALSE(b.cpus.empty());
    for (int c : b.cpus) EXPECT_TRUE(std::binary_search(n.allowed_cpus.begin(), n.allowed_cpus.end(), c));
  }
}

std::vector<int> cpus_of(const std::string& list) {
  std::vector<int> out;
  if (auto set = probe::CpuSet::from_list(list))
    for (unsigned c : set->indexes()) out.push_back(static_cast<int>(c));
  return out;
}

// One rank per GPU over all the node's CPUs: each rank's GPU is its ordinal, its NIC the
// one best_nics gives that GPU, its CPUs a share of gpu_cpus (the GPU's NUMA node, as
// `cairn topo` prints it), and the ranks of one NUMA node together cover all of it.
// Returns how many GPUs the NUMA node's k-th NIC rule would have given another NIC.
int expect_binding_follows_topology(const topology::Graph& g) {
  const auto gpus = g.of_kind(topology::VertexKind::gpu);
  std::vector<int> all;
  for (int c : g.of_kind(topology::VertexKind::cpu))
    for (int cpu : cpus_of(g.vertex(c).cpu.cpus)) all.push_back(cpu);
  const int ranks = static_cast<int>(gpus.size());
  const auto plan = plan_binding(g, all, ranks);
  const auto choices = topology::best_nics(g);
  const bool has_nics = !g.of_kind(topology::VertexKind::nic).empty();
  EXPECT_EQ(choices.size(), has_nics ? gpus.size() : 0u);
  std::map<std::string, std::set<int>> covered;  // gpu_cpus list -> CPUs its ranks got
  for (int r = 0; r < ranks; ++r) {
    const auto& b = plan[static_cast<std::size_t>(r)];
    EXPECT_EQ(b.gpu, r);
    if (has_nics) {
      EXPECT_EQ(choices[static_cast<std::size_t>(r)].gpu, gpus[static_cast<std::size_t>(r)]);
      EXPECT_EQ(b.nic, g.nic_name(choices[static_cast<std::size_t>(r)].nic)) << "GPU " << r;
    } else {
      EXPECT_FALSE(b.nic) << "GPU " << r;
    }
    const std::string local = topology::gpu_cpus(g, gpus[static_cast<std::size_t>(r)]);
    const auto near = cpus_of(local);
    EXPECT_FALSE(b.cpus.empty()) << "GPU " << r;
    for (int c : b.cpus) EXPECT_TRUE(std::binary_search(near.begin(), near.end(), c)) << "GPU " << r << " CPU " << c;
    covered[local].insert(b.cpus.begin(), b.cpus.end());
  }
  for (const auto& [local, got] : covered)
    EXPECT_EQ(std::vector<int>(got.begin(), got.end()), cpus_of(local)) << local;

  NodeFacts numa_rule = node_facts(g, all);
  numa_rule.gpu_nics_chosen = false;
  const auto kth = plan_binding(numa_rule, ranks);
  int disagree = 0;
  for (int r = 0; r < ranks; ++r) disagree += kth[static_cast<std::size_t>(r)].nic != plan[static_cast<std::size_t>(r)].nic;
  return disagree;
}

TEST(PlanBindingFromTopology, AzureNdv5EachH100GetsTheNicOnItsSwitch) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(path, "nccl/azure-ndv5-topo.xml");
  const std::optional<topology::Graph> g = topology::load_topology(path);
  ASSERT_EQ(g->of_kind(topology::VertexKind::gpu).size(), 8u);
  // One GPU and one NIC per PCIe switch, listed in the same order: both rules agree.
  EXPECT_EQ(expect_binding_follows_topology(*g), 0);
  EXPECT_EQ(plan_binding(*g, cpus_of(g->vertex(g->of_kind(topology::VertexKind::cpu).front()).cpu.cpus), 8)[5].nic,
            g->nic_name(topology::best_nics(*g)[5].nic));
}

TEST(PlanBindingFromTopology, AzureNdv2SharesItsOneNic) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(path, "nccl/azure-ndv2-topo.xml");
  const std::optional<topology::Graph> g = topology::load_topology(path);
  // One NIC on one socket: best_nics gives it to all eight GPUs (cairn topo lists it for
  // each); the NUMA k-th rule left the four GPUs of the other socket without one.
  EXPECT_EQ(expect_binding_follows_topology(*g), 4);
  for (const auto& b : plan_binding(*g, {0, 1, 2, 3}, 8)) EXPECT_TRUE(b.nic);
}

TEST(PlanBindingFromTopology, Dgx2SixteenGpusOnTwoSockets) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(path, "hwloc/nvidiaDGX2.xml");
  const std::optional<topology::Graph> g = topology::load_topology(path);
  ASSERT_EQ(g->of_kind(topology::VertexKind::gpu).size(), 16u);
  // The capture has no NIC: GPUs and CPUs only.
  EXPECT_EQ(expect_binding_follows_topology(*g), 0);
}

TEST(RankEnvironment, CarriesCairnAndTorchrunVariables) {
  RankSlot slot;
  slot.local_rank = 2;
  slot.local_size = 4;
  slot.master_port = 29555;
  slot.secret = "s";
  slot.job_id = "local-1";
  const EnvMap env = rank_environment({{"PATH", "/bin"}, {"RANK", "stale"}}, slot);
  EXPECT_EQ(env.at("PATH"), "/bin");
  EXPECT_EQ(env.at("RANK"), "2");
  EXPECT_EQ(env.at("WORLD_SIZE"), "4");
  EXPECT_EQ(env.at("LOCAL_RANK"), "2");
  EXPECT_EQ(env.at("MASTER_ADDR"), "127.0.0.1");
  EXPECT_EQ(env.at("MASTER_PORT"), "29555");
  EXPECT_EQ(env.at("CAIRN_SECRET"), "s");
  // What the launcher sets is what the bootstrap reads back.
  const RankInfo info = detect_rank_info(env);
  EXPECT_EQ(info.launcher, "cairn");
  EXPECT_EQ(info.rank, 2);
  EXPECT_EQ(info.size, 4);
  EXPECT_EQ(info.local_size, 4);
  EXPECT_EQ(info.master_port, 29555);
  EXPECT_EQ(info.job_id, "local-1");
}

TEST(RankEnvironment, NodeRankOffsetsTheGlobalRank) {
  RankSlot slot;
  slot.local_rank = 1;
  slot.local_size = 4;
  slot.node_rank = 2;
  slot.nnodes = 3;
  slot.master_addr = "cairn-bench-0.cairn-bench";
  slot.master_port = 29500;
  slot.secret = "s";
  const RankInfo info = detect_rank_info(rank_environment({}, slot));
  EXPECT_EQ(info.rank, 9);
  EXPECT_EQ(info.size, 12);
  EXPECT_EQ(info.local_rank, 1);
  EXPECT_EQ(info.local_size, 4);
  EXPECT_EQ(info.master_addr, "cairn-bench-0.cairn-bench");
}

// The live path's data on a GPU node Cairn captured itself (tests/fixtures): its one H100
// gets every CPU of its NUMA node, and no NIC, since the node's only port is Ethernet
// (UCX_NET_DEVICES and NCCL_IB_HCA name verbs devices).
TEST(PlanBindingFromTopology, H100CaptureGivesItsGpuEveryCpuAndNoVerbsNic) {
  const topology::Graph g = topology::graph_from_probe(probe::probe_capture(test::fixture("captures/h100-vm")));
  std::vector<int> all(16);
  for (int c = 0; c < 16; ++c) all[static_cast<std::size_t>(c)] = c;
  const auto plan = plan_binding(g, all, 1);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].gpu, 0);
  EXPECT_EQ(plan[0].cpus, all);
  EXPECT_FALSE(plan[0].nic);
  // Two ranks on the one GPU split its CPUs.
  const auto two = plan_binding(g, all, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].gpu, 0);
  EXPECT_EQ(two[1].gpu, 0);
  EXPECT_EQ(two[0].cpus.size() + two[1].cpus.size(), 16u);
}

}  // namespace
}  // namespace cairn::coll

// Live discovery through the hwloc library, pointed by HWLOC_FSROOT at the saved
// sysfs/proc tree of a POWER9 node whose six NVIDIA GPUs expose their memory as NUMA nodes
// (../shared/topologies/hwloc/nvidiagpunumanodes.sysfs.tar.bz2).
#include <cstdlib>

#include <gtest/gtest.h>

#include "probe/hwloc_live.h"
#include "probe/hwloc_xml.h"
#include "probe_test_util.h"

namespace cairn::probe {
namespace {

const NumaNode* numa(const NodeInfo& n, int os) {
  for (const auto& x : n.numa)
    if (x.os_index == os) return &x;
  return nullptr;
}

std::size_t numa_pos(const NodeInfo& n, int os) {
  for (std::size_t i = 0; i < n.numa.size(); ++i)
    if (n.numa[i].os_index == os) return i;
  return n.numa.size();
}

TEST(HwlocFsroot, GpuMemoryNumaNodesHaveNoCpus) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(tarball, "hwloc/nvidiagpunumanodes.sysfs.tar.bz2");
  test::TempDir dir("fsroot");
  std::string cmd = "tar -xjf '" + tarball + "' -C '" + dir.str() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  ::setenv("HWLOC_FSROOT", (dir / "nvidiagpunumanodes").c_str(), 1);
  std::string xml = export_live_hwloc_xml();
  ::unsetenv("HWLOC_FSROOT");
  auto n = parse_hwloc_xml(xml, "fsroot export");

  EXPECT_EQ(n.hostname, "c685f8n02");
  EXPECT_EQ(n.cpu.arch, "ppc64le");
  EXPECT_EQ(n.cpu.packages, 2);
  EXPECT_EQ(n.cpu.cores, 8);
  EXPECT_EQ(n.cpu.pus, 32);
  ASSERT_EQ(n.numa.size(), 8u);
  EXPECT_EQ(numa(n, 0)->cpuset, "0-15");
  EXPECT_EQ(numa(n, 8)->cpuset, "88-103");
  int gpu_nodes = 0;
  for (int os : {250, 251, 252, 253, 254, 255}) {
    const auto* m = numa(n, os);
    ASSERT_NE(m, nullptr) << os;
    EXPECT_EQ(m->subtype, "GPUMemory");
    EXPECT_TRUE(m->cpuset.empty()) << os;
    EXPECT_EQ(m->memory_bytes, 15728640ull * 1024) << os;  // 15 GiB per V100 (meminfo)
    ++gpu_nodes;
  }
  EXPECT_EQ(gpu_nodes, 6);
  EXPECT_EQ(numa(n, 254)->gpu_bus_id, "0004:06:00.0");
  EXPECT_EQ(numa(n, 250)->gpu_bus_id, "0035:05:00.0");
  // Latency: 10 local, 40 between sockets, 80 to GPU memory.
  EXPECT_EQ(numa(n, 0)->distances[numa_pos(n, 8)], 40u);
  EXPECT_EQ(numa(n, 0)->distances[numa_pos(n, 254)], 80u);
  EXPECT_EQ(numa(n, 254)->distances[numa_pos(n, 254)], 10u);

  // The GPUs hide their PCI ids in this snapshot; their memory nodes name them.
  ASSERT_EQ(n.gpus.size(), 6u);
  for (const auto& g : n.gpus) {
    EXPECT_NE(g.memory_numa_node, -1) << g.bus_id;
    EXPECT_EQ(g.memory_bytes, 15728640ull * 1024) << g.bus_id;
  }
  const GpuInfo* g = nullptr;
  for (const auto& x : n.gpus)
    if (x.bus_id == "0004:06:00.0") g = &x;
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->memory_numa_node, 254);
  EXPECT_EQ(g->numa_node, 0);  // its CPUs are socket 0's, the GPU memory node has none
  EXPECT_EQ(g->cpuset, "0-15");
}

}  // namespace
}  // namespace cairn::probe

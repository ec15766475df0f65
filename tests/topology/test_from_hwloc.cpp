// Graphs from the shared hwloc files (through the probe's XML reader): facts read from each
// file by hand, and the NCCL XML round trip of every one of them.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "probe/hwloc_xml.h"
#include "topology/from_probe.h"
#include "topology/nccl_xml.h"
#include "topology/paths.h"
#include "tests/support/shared_topologies.h"

namespace cairn::topology {
namespace {

Graph load(const std::string& hwloc, const std::string& name) {
  return graph_from_probe(probe::read_hwloc_xml_file(hwloc + "/" + name));
}

int dev(const Graph& g, const std::string& bus_id) {
  int v = g.find_bus_id(bus_id);
  EXPECT_GE(v, 0) << bus_id << " not in the graph";
  return v;
}

int nic_named(const Graph& g, const std::string& name) {
  for (int n : g.of_kind(VertexKind::nic))
    if (g.nic_name(n) == name) return n;
  ADD_FAILURE() << "no NIC " << name;
  return -1;
}

std::string cls(const Graph& g, int a, int b) { return to_string(find_path(g, a, b)); }

const std::string kDgx2 = "nvidiaDGX2.xml";

TEST(HwlocDgx2, SixteenGpusAllNv6ThroughTwelveNvSwitches) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  Graph g = load(hwloc, kDgx2);
  auto gpus = g.of_kind(VertexKind::gpu);
  ASSERT_EQ(gpus.size(), 16u);
  EXPECT_EQ(g.of_kind(VertexKind::nvswitch).size(), 12u);
  EXPECT_TRUE(g.of_kind(VertexKind::nic).empty());
  for (int a : gpus)
    for (int b : gpus)
      if (a != b) {
        EXPECT_EQ(cls(g, a, b), "NV6") << g.vertex(a).bus_id << " " << g.vertex(b).bus_id;
      }
  // Across the two baseboards too: 0000:34:00.0 (NUMA 0) and 0000:e7:00.0 (NUMA 1).
  auto p = find_path(g, dev(g, "0000:34:00.0"), dev(g, "0000:e7:00.0"));
  EXPECT_EQ(to_string(p), "NV6");
  // V100 is sm 70 but hwloc does not say so: NCCL's fallback, 20 GB/s a link, 6 links.
  EXPECT_DOUBLE_EQ(p.bottleneck_gb_s, 6 * 20.0);
}

TEST(HwlocDgx2, NvLinkPeersOfEachGpuAreTheSixSwitchesOfItsBoard) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  Graph g = load(hwloc, kDgx2);
  auto peers_of = [&](const std::string& gpu) {
    std::set<std::string> peers;
    int v = dev(g, gpu);
    for (int l : g.links_of(v)) {
      const auto& link = g.link(l);
      if (link.kind != LinkKind::nvlink) continue;
      EXPECT_EQ(link.count, 1) << gpu;
      peers.insert(g.vertex(link.a == v ? link.b : link.a).bus_id);
    }
    return peers;
  };
  const std::set<std::string> board0 = {"0000:61:00.0", "0000:62:00.0", "0000:63:00.0",
                                        "0000:65:00.0", "0000:66:00.0", "0000:67:00.0"};
  const std::set<std::string> board1 = {"0000:c1:00.0", "0000:c2:00.0", "0000:c3:00.0",
                                        "0000:c5:00.0", "0000:c6:00.0", "0000:c7:00.0"};
  EXPECT_EQ(peers_of("0000:34:00.0"), board0);
  EXPECT_EQ(peers_of("0000:5e:00.0"), board0);
  EXPECT_EQ(peers_of("0000:b7:00.0"), board1);
  EXPECT_EQ(peers_of("0000:e7:00.0"), board1);
  // 0000:66:00.0 reads class 0000 in the file; it is still an NVSwitch (hwloc's subtype).
  EXPECT_EQ(g.vertex(dev(g, "0000:66:00.0")).kind, VertexKind::nvswitch);
}

TEST(HwlocDgx2, PcieTreeFoldsToTheSwitches) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  Graph g = load(hwloc, kDgx2);
  // 34:00.0 and 36:00.0 share the PLX switch 32:00.0; 39:00.0 is under the sibling switch
  // 37:00.0, both below 2c:00.0: PCIe alone would make them PIX and PXB.
  int a = dev(g, "0000:34:00.0");
  EXPECT_EQ(g.vertex(g.vertex(a).up).bus_id, "0000:32:00.0");
  EXPECT_EQ(g.vertex(g.vertex(dev(g, "0000:39:00.0")).up).bus_id, "0000:37:00.0");
  EXPECT_EQ(g.vertex(g.vertex(dev(g, "0000:32:00.0")).up).bus_id, "0000:2c:00.0");
  // The downstream port 2d:04.0 passes the link through and is folded away.
  EXPECT_LT(g.find_bus_id("0000:2d:04.0"), 0);
  // Root port 2b:00.0 stays: it is where the tree meets NUMA node 0.
  EXPECT_EQ(g.vertex(dev(g, "0000:2b:00.0")).up, g.find_cpu(0));
  // 15.753846 GB/s in the file is Gen3 x16: NCCL's 12 GB/s.
  EXPECT_DOUBLE_EQ(g.link(g.up_link(a)).gb_s, 12.0);
  EXPECT_DOUBLE_EQ(g.link(g.up_link(a)).pcie_gt_s, 8.0);
  EXPECT_EQ(g.link(g.up_link(a)).pcie_width, 16);
}

TEST(Hwloc32em64t, GpuAndMlx5PathClasses) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  Graph g = load(hwloc, "32em64t-2n8c2t-pci-normalio.xml");
  int mlx = nic_named(g, "mlx5_0");
  ASSERT_GE(mlx, 0);
  // cuda0 (0000:84:00.0) and mlx5_0 hang from root port 0000:80:03.0.
  EXPECT_EQ(cls(g, dev(g, "0000:84:00.0"), mlx), "PIX");
  // 0000:83:00.0 is under root port 80:02.0 of the same host bridge (root bus 0000:80).
  EXPECT_EQ(cls(g, dev(g, "0000:83:00.0"), mlx), "PHB");
  // 0000:03:00.0 is on the other socket.
  EXPECT_EQ(cls(g, dev(g, "0000:03:00.0"), mlx), "SYS");
  EXPECT_EQ(gpu_cpus(g, dev(g, "0000:84:00.0")), "8-15,24-31");
  EXPECT_EQ(gpu_numa(g, dev(g, "0000:03:00.0")), 0);
  // mlx5_0 is the only RDMA NIC: every GPU's best NIC, even over the closer-rated eth0/eth1.
  for (const auto& c : best_nics(g)) EXPECT_EQ(g.nic_name(c.nic), "mlx5_0");
  // The file reuses bus id 0000:04:00.0 for a SATA controller; only the HCA is kept.
  EXPECT_EQ(g.vertex(dev(g, "0000:04:00.0")).kind, VertexKind::nic);
}

TEST(Hwloc24em64t, ConnectX3OnNumaZero) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  Graph g = load(hwloc, "24em64t-2n6c2t-pci.xml");
  EXPECT_EQ(g.of_kind(VertexKind::gpu).size(), 3u);
  int mlx = nic_named(g, "mlx4_0");
  ASSERT_GE(mlx, 0);
  EXPECT_EQ(cls(g, dev(g, "0000:06:00.0"), mlx), "PHB");
  EXPECT_EQ(cls(g, dev(g, "0000:11:00.0"), mlx), "SYS");
  EXPECT_EQ(cls(g, dev(g, "0000:14:00.0"), mlx), "SYS");
  // Two GPUs on root ports 10:03.0 and 10:07.0 of host bridge 0000:10.
  EXPECT_EQ(cls(g, dev(g, "0000:11:00.0"), dev(g, "0000:14:00.0")), "PHB");
  // The two functions of the 82576 (eth0, eth1) below one root port.
  EXPECT_EQ(cls(g, nic_named(g, "eth0"), nic_named(g, "eth1")), "PIX");
  EXPECT_EQ(gpu_cpus(g, dev(g, "0000:14:00.0")), "1,3,5,7,9,11,13,15,17,19,21,23");
}

TEST(Hwloc96em64t, FourNumaNodesEightEthernetPorts) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  Graph g = load(hwloc, "96em64t-4n4d3ca2co-pci.xml");
  EXPECT_EQ(g.of_kind(VertexKind::cpu).size(), 4u);
  EXPECT_TRUE(g.of_kind(VertexKind::gpu).empty());
  EXPECT_EQ(g.of_kind(VertexKind::nic).size(), 8u);
  // Every pair of NUMA nodes is joined (6 socket-interconnect links).
  int smp = 0;
  for (const auto& l : g.links()) smp += l.kind == LinkKind::smp;
  EXPECT_EQ(smp, 6);
  EXPECT_EQ(cls(g, nic_named(g, "eth0"), nic_named(g, "eth1")), "PIX");
  EXPECT_EQ(cls(g, nic_named(g, "eth0"), nic_named(g, "eth2")), "SYS");
  EXPECT_EQ(cls(g, nic_named(g, "eth6"), nic_named(g, "eth7")), "PIX");
  EXPECT_TRUE(best_nics(g).empty());
}

TEST(Hwloc16intel64, VirtualFunctionsWithoutOsDevicesAreNotNics) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  Graph g = load(hwloc, "16intel64-manyVFs.xml");
  // eth0, eth1, usnic_0, usnic_1, usnic_2, eth7: the Userspace NIC VFs have no OS device.
  EXPECT_EQ(g.of_kind(VertexKind::nic).size(), 6u);
  // usnic_0 and usnic_1 share the Cisco VIC's internal switch 0000:09:00.0.
  EXPECT_EQ(cls(g, nic_named(g, "usnic_0"), nic_named(g, "usnic_1")), "PIX");
  EXPECT_EQ(cls(g, nic_named(g, "usnic_0"), nic_named(g, "eth0")), "PHB");
  EXPECT_EQ(cls(g, nic_named(g, "usnic_0"), nic_named(g, "usnic_2")), "SYS");
}

TEST(HwlocRoundTrip, EveryFileExportsAndReimportsTheSameGraph) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  for (const char* f : {"nvidiaDGX2.xml", "32em64t-2n8c2t-pci-normalio.xml", "24em64t-2n6c2t-pci.xml",
                        "96em64t-4n4d3ca2co-pci.xml", "16intel64-manyVFs.xml"}) {
    Graph g = load(hwloc, f);
    Graph again = parse_nccl_xml(to_nccl_xml(g), f);
    EXPECT_EQ(canonical_text(again), canonical_text(g)) << f;
    // The path matrix, NCCL's view of the node, is the same after the trip.
    EXPECT_EQ(format_matrix(again), format_matrix(g)) << f;
  }
}

}  // namespace
}  // namespace cairn::topology

// Facts read by hand from each hwloc XML in ../shared/topologies/hwloc (all hwloc 3.0
// exports), checked against what the reader makes of them.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/probe/probe_test_util.h"
#include "tests/support/error_of.h"
#include "common/text_file.h"
#include "probe/hwloc_xml.h"
#include "tests/support/shared_topologies.h"

namespace cairn::probe {
namespace {

const GpuInfo* gpu_at(const NodeInfo& n, const std::string& bus) {
  for (const auto& g : n.gpus)
    if (g.bus_id == bus) return &g;
  return nullptr;
}

const NicInfo* nic_named(const NodeInfo& n, const std::string& name) {
  for (const auto& x : n.nics)
    if (x.name == name) return &x;
  return nullptr;
}

int count_kind(const NodeInfo& n, PciKind k) {
  return static_cast<int>(std::count_if(n.pci.begin(), n.pci.end(), [&](const PciDevice& d) { return d.kind == k; }));
}

TEST(HwlocXml, Dgx2HasSixteenV100sEachLinkedToSixNvSwitches) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/nvidiaDGX2.xml");
  EXPECT_EQ(n.cpu.packages, 2);
  EXPECT_EQ(n.cpu.pus, 4);
  EXPECT_EQ(n.cpu.model, "Intel(R) Xeon(R) Platinum 8174 CPU @ 3.10GHz");
  ASSERT_EQ(n.numa.size(), 2u);
  EXPECT_EQ(n.numa[0].memory_bytes, 810234351616u);
  EXPECT_EQ(n.numa[1].cpuset, "24-25");
  EXPECT_EQ(n.numa[0].distances, (std::vector<std::uint64_t>{10, 21}));
  EXPECT_EQ(n.numa[1].distances, (std::vector<std::uint64_t>{21, 10}));

  ASSERT_EQ(n.gpus.size(), 16u);
  EXPECT_EQ(count_kind(n, PciKind::nvswitch), 12);
  for (const auto& g : n.gpus) {
    EXPECT_EQ(g.name, "Tesla V100-SXM3-32GB-H") << g.bus_id;
    EXPECT_EQ(g.source, "hwloc");
    ASSERT_EQ(g.nvlink_peers.size(), 6u) << g.bus_id;
    std::set<std::string> switches;
    for (const auto& p : g.nvlink_peers) {
      EXPECT_EQ(p.remote_kind, "nvswitch") << g.bus_id << " -> " << p.remote_bus_id;
      EXPECT_DOUBLE_EQ(p.bandwidth_gb_s, 25.0);
      EXPECT_EQ(p.links, 1);
      switches.insert(p.remote_bus_id);
    }
    EXPECT_EQ(switches.size(), 6u);
    EXPECT_EQ(g.nvlinks_active, 6);
  }
  // GPU 0 (nvml0) sits on socket 0's PCIe tree, reaches the NVSwitches of the first baseboard.
  auto* g0 = gpu_at(n, "0000:34:00.0");
  ASSERT_NE(g0, nullptr);
  EXPECT_EQ(g0->uuid, "GPU-d3977428-7a30-086b-2e20-5c1eeed647c6");
  EXPECT_EQ(g0->numa_node, 0);
  EXPECT_EQ(g0->cpuset, "0-1");
  EXPECT_NEAR(g0->pcie.reported_gb_s, 15.753846, 1e-6);
  std::set<std::string> g0_switches;
  for (const auto& p : g0->nvlink_peers) g0_switches.insert(p.remote_bus_id);
  EXPECT_EQ(g0_switches, (std::set<std::string>{"0000:61:00.0", "0000:62:00.0", "0000:63:00.0",
                                                "0000:65:00.0", "0000:66:00.0", "0000:67:00.0"}));
  auto* g8 = gpu_at(n, "0000:b7:00.0");
  ASSERT_NE(g8, nullptr);
  EXPECT_EQ(g8->numa_node, 1);
  // The NVSwitch 0000:66:00.0 hides its ids (pci_type 0000 [0000:0000]); the subtype names it.
  auto* sw = n.find_pci("0000:66:00.0");
  ASSERT_NE(sw, nullptr);
  EXPECT_EQ(sw->kind, PciKind::nvswitch);
  EXPECT_EQ(sw->parent_bus_id, "0000:60:0b.0");
  EXPECT_TRUE(n.nics.empty());
}

TEST(HwlocXml, Conan32CoreHasConnectX4AndTheCudaGpuOnSocket1) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/32em64t-2n8c2t-pci-normalio.xml");
  EXPECT_EQ(n.hostname, "conan");
  EXPECT_EQ(n.cpu.arch, "x86_64");
  EXPECT_EQ(n.cpu.packages, 2);
  EXPECT_EQ(n.cpu.cores, 16);
  EXPECT_EQ(n.cpu.pus, 32);
  ASSERT_EQ(n.numa.size(), 2u);
  EXPECT_EQ(n.numa[0].cpuset, "0-7,16-23");
  EXPECT_EQ(n.numa[1].distances, (std::vector<std::uint64_t>{20, 10}));
  // Three Tesla M2075 functions (NVIDIA, class 0302); the AMD Radeon at 84:00.1 is no GPU of ours.
  ASSERT_EQ(n.gpus.size(), 3u);
  auto* cuda = gpu_at(n, "0000:84:00.0");
  ASSERT_NE(cuda, nullptr);
  EXPECT_EQ(cuda->name, "Tesla K40m");
  EXPECT_EQ(cuda->cuda_index, 0);
  EXPECT_EQ(cuda->memory_bytes, 11796032ull * 1024);
  EXPECT_EQ(cuda->numa_node, 1);
  EXPECT_EQ(cuda->cpuset, "8-15,24-31");
  auto* m2075 = gpu_at(n, "0000:03:00.0");
  ASSERT_NE(m2075, nullptr);
  EXPECT_EQ(m2075->numa_node, 0);
  EXPECT_EQ(m2075->cuda_index, -1);
  EXPECT_EQ(m2075->name, "Tesla M2075 Dual-Slot Computing Processor Module");
  EXPECT_EQ(n.find_pci("0000:03:00.0")->name, "NVIDIA Corporation Tesla M2075 Dual-Slot Computing Processor Module");

  auto* mlx = nic_named(n, "mlx5_0");
  ASSERT_NE(mlx, nullptr);
  EXPECT_EQ(mlx->transport, "ibverbs");
  EXPECT_EQ(mlx->netdevs, std::vector<std::string>{"ib0"});
  EXPECT_EQ(mlx->node_guid, "248a:0703:001e:39fe");
  EXPECT_EQ(mlx->numa_node, 1);  // the tree puts it under socket 1's root port 80:03.0
  ASSERT_EQ(mlx->ports.size(), 1u);
  EXPECT_EQ(mlx->ports[0].state, "ACTIVE");
  EXPECT_EQ(mlx->ports[0].lid, 1u);
  EXPECT_EQ(mlx->ports[0].gid, "fe80:0000:0000:0000:248a:0703:001e:39fe");
  // It shares the root port 80:03.0 with the CUDA GPU.
  auto mlx_pci = std::find_if(n.pci.begin(), n.pci.end(), [](const PciDevice& d) {
    return d.vendor_id == 0x15b3;
  });
  ASSERT_NE(mlx_pci, n.pci.end());
  EXPECT_EQ(mlx_pci->parent_bus_id, "0000:80:03.0");
  EXPECT_EQ(n.find_pci("0000:84:00.0")->parent_bus_id, "0000:80:03.0");
  EXPECT_EQ(mlx_pci->os_devices, (std::vector<std::string>{"ib0", "mlx5_0"}));
  // Two Intel I350 ports are Ethernet NICs.
  EXPECT_NE(nic_named(n, "eth0"), nullptr);
  EXPECT_EQ(nic_named(n, "eth1")->transport, "ethernet");
  EXPECT_EQ(n.nics.size(), 3u);
}

TEST(HwlocXml, Mirage24CoreHasConnectX3Mlx4) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/24em64t-2n6c2t-pci.xml");
  EXPECT_EQ(n.hostname, "mirage004");
  EXPECT_EQ(n.cpu.cores, 12);
  EXPECT_EQ(n.cpu.pus, 24);
  auto* mlx = nic_named(n, "mlx4_0");
  ASSERT_NE(mlx, nullptr);
  EXPECT_EQ(mlx->bus_id, "0000:05:00.0");
  EXPECT_EQ(mlx->numa_node, 0);
  EXPECT_EQ(mlx->netdevs, (std::vector<std::string>{"eth2", "ib0"}));
  // ConnectX-3 reports PCI class 0c06 (InfiniBand controller).
  EXPECT_EQ(n.find_pci("0000:05:00.0")->class_id, 0x0c06u);
  EXPECT_EQ(n.find_pci("0000:05:00.0")->kind, PciKind::nic);
  EXPECT_DOUBLE_EQ(n.find_pci("0000:05:00.0")->link.reported_gb_s, 2.0);
  // Three NVIDIA 0302 functions, one on socket 0 and two on socket 1.
  ASSERT_EQ(n.gpus.size(), 3u);
  EXPECT_EQ(gpu_at(n, "0000:06:00.0")->numa_node, 0);
  EXPECT_EQ(gpu_at(n, "0000:11:00.0")->numa_node, 1);
  EXPECT_EQ(gpu_at(n, "0000:14:00.0")->cpuset, "1,3,5,7,9,11,13,15,17,19,21,23");
}

TEST(HwlocXml, Bertha96CoreHasFourNumaNodesEightEthernetPortsNoGpu) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/96em64t-4n4d3ca2co-pci.xml");
  EXPECT_EQ(n.hostname, "bertha");
  EXPECT_EQ(n.cpu.packages, 16);
  EXPECT_EQ(n.cpu.pus, 96);
  EXPECT_TRUE(n.gpus.empty());
  ASSERT_EQ(n.numa.size(), 4u);
  EXPECT_EQ(n.numa[3].cpuset, "72-95");
  EXPECT_EQ(n.numa[2].distances, (std::vector<std::uint64_t>{26, 26, 10, 26}));
  ASSERT_EQ(n.nics.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    auto* e = nic_named(n, "eth" + std::to_string(i));
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->transport, "ethernet");
    EXPECT_EQ(e->numa_node, i / 2) << "eth" << i;  // two BCM5709 ports per NUMA node
  }
}

TEST(HwlocXml, ManyVfsKeepsTheUsnicVirtualFunctions) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/16intel64-manyVFs.xml");
  EXPECT_EQ(n.cpu.pus, 16);
  EXPECT_TRUE(n.hostname.empty());
  // 12 "VIC Userspace NIC" virtual functions are PCI NIC functions without OS devices.
  int vfs = 0;
  for (const auto& d : n.pci)
    if (d.device_id == 0x00cf) {
      ++vfs;
      EXPECT_EQ(d.kind, PciKind::nic) << d.bus_id;
      EXPECT_TRUE(d.os_devices.empty()) << d.bus_id;
    }
  EXPECT_EQ(vfs, 12);
  for (const char* name : {"usnic_0", "usnic_1", "usnic_2"}) {
    auto* u = nic_named(n, name);
    ASSERT_NE(u, nullptr) << name;
    EXPECT_EQ(u->transport, "ibverbs");
    ASSERT_EQ(u->ports.size(), 1u);
    EXPECT_EQ(u->ports[0].state, "ACTIVE");
  }
  EXPECT_EQ(nic_named(n, "usnic_0")->netdevs, std::vector<std::string>{"eth4"});
  EXPECT_EQ(nic_named(n, "usnic_2")->numa_node, 1);
  EXPECT_EQ(n.find_pci("0000:0b:00.1")->parent_bus_id, "0000:0a:00.0");
}

using ::cairn::test::error_of;

class BadXml : public ::testing::Test {
 protected:
  test::TempDir dir_{"probe_xml"};  // removed with the fixture
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  void expect_one_line(const std::string& path, const std::string& problem) {
    auto msg = error_of([&] { read_hwloc_xml_file(path); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(problem), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
};

TEST_F(BadXml, TruncatedMalformedEmptyMissingAndWrongVersionNameTheFile) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto whole = read_text_file(hwloc + "/nvidiaDGX2.xml");
  expect_one_line(write("truncated.xml", whole.substr(0, whole.size() / 2)), "malformed XML");
  expect_one_line(write("garbage.xml", "<topology version=\"3.0\"><object type=\"Machine\"></topo>"), "malformed XML");
  expect_one_line(write("empty.xml", ""), "empty");
  expect_one_line("/nonexistent/topo.xml", "no such file");
  expect_one_line(write("notopo.xml", "<?xml version=\"1.0\"?><root/>"), "no <topology>");
  expect_one_line(write("v1.xml", "<topology><object type=\"Machine\"/></topology>"), "hwloc 1.x");
  expect_one_line(write("v9.xml", "<topology version=\"9.1\"/>"), "unsupported hwloc XML version 9.1");
  expect_one_line(write("nothing.xml", "<topology version=\"2.0\"/>"), "holds no objects");
  expect_one_line(write("bitmap.xml", "<topology version=\"2.0\"><object type=\"Machine\" cpuset=\"0xzz\"/></topology>"),
                  "malformed cpuset");
  std::string bad_matrix = whole;
  bad_matrix.replace(bad_matrix.find("10 21 21 10"), 11, "10 21 21");
  expect_one_line(write("matrix.xml", bad_matrix), "3 values for 2 objects");
}

// hwloc 2.x files number OS device types with an enum, not hwloc 3's bit flags.
TEST(HwlocXml, Version2OsDeviceTypesAreAnEnum) {
  std::string v2 = R"(<?xml version="1.0"?>
<topology version="2.0">
 <object type="Machine" os_index="0" cpuset="0x0000000f" nodeset="0x00000001" gp_index="1">
  <info name="HostName" value="v2host"/>
  <object type="Package" os_index="0" cpuset="0x0000000f" nodeset="0x00000001" gp_index="2">
   <object type="NUMANode" os_index="0" cpuset="0x0000000f" nodeset="0x00000001" gp_index="3" local_memory="1024"/>
   <object type="PU" os_index="0" cpuset="0x00000001" gp_index="4"/>
   <object type="Bridge" gp_index="5" bridge_type="0-1" depth="0" bridge_pci="0000:[00-ff]">
    <object type="PCIDev" gp_index="6" pci_busid="0000:17:00.0" pci_type="0207 [15b3:1021] [15b3:0023] 00" pci_link_speed="31.5">
     <object type="OSDev" gp_index="7" name="ibp23s0" osdev_type="2"/>
     <object type="OSDev" gp_index="8" name="mlx5_3" osdev_type="3"/>
    </object>
    <object type="PCIDev" gp_index="9" pci_busid="0000:18:00.0" pci_type="0302 [10de:2330] [10de:16c1] a1" pci_link_speed="63.0">
     <object type="OSDev" gp_index="10" name="nvml0" osdev_type="1"><info name="GPUModel" value="NVIDIA H100 80GB HBM3"/></object>
    </object>
   </object>
  </object>
 </object>
</topology>)";
  auto n = parse_hwloc_xml(v2, "v2.xml");
  EXPECT_EQ(n.hostname, "v2host");
  EXPECT_EQ(n.source, "hwloc-xml:v2.xml");
  auto* nic = nic_named(n, "mlx5_3");
  ASSERT_NE(nic, nullptr);
  EXPECT_EQ(nic->netdevs, std::vector<std::string>{"ibp23s0"});
  ASSERT_EQ(n.gpus.size(), 1u);
  EXPECT_EQ(n.gpus[0].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(n.gpus[0].numa_node, 0);
  EXPECT_EQ(n.find_pci("0000:18:00.0")->parent_bus_id, "");
}

}  // namespace
}  // namespace cairn::probe

// Node presets and the path queries on them: what nvidia-smi topo -m shows on those
// machines, best NIC per GPU, bottlenecks, and NIC balancing.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/error.h"
#include "topology/nccl_xml.h"
#include "topology/node_presets.h"
#include "topology/paths.h"
#include "topology/topo_json.h"

namespace cairn::topology {
namespace {

std::string cls(const Graph& g, int a, int b) { return to_string(find_path(g, a, b)); }

TEST(PresetDgxH100, NvSwitchPixAndNode) {
  Graph g = node_preset("dgx-h100");
  auto gpus = g.of_kind(VertexKind::gpu), nics = g.of_kind(VertexKind::nic);
  ASSERT_EQ(gpus.size(), 8u);
  ASSERT_EQ(nics.size(), 8u);
  for (int a : gpus)
    for (int b : gpus)
      if (a != b) {
        EXPECT_EQ(cls(g, a, b), "NV18");
      }
  // 18 NVLink4 links at NCCL's SM90 figure, 20.6 GB/s each.
  EXPECT_NEAR(find_path(g, gpus[0], gpus[7]).bottleneck_gb_s, 18 * 20.6, 1e-9);
  EXPECT_EQ(cls(g, gpus[0], nics[0]), "PIX");
  EXPECT_EQ(cls(g, gpus[0], nics[1]), "NODE");  // same socket, another switch and root complex
  EXPECT_EQ(cls(g, gpus[0], nics[4]), "SYS");
  EXPECT_EQ(cls(g, nics[3], nics[4]), "SYS");
  auto choices = best_nics(g);
  ASSERT_EQ(choices.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(choices[i].nic, nics[i]);
    EXPECT_DOUBLE_EQ(choices[i].path.bottleneck_gb_s, 48.0);  // PCIe Gen5 x16
  }
  EXPECT_EQ(gpu_cpus(g, gpus[5]), "56-111,168-223");
  EXPECT_EQ(g.vertex(gpus[0]).bus_id, "0000:18:00.0");
  // 8 x 400 Gb/s into the network: 50 GB/s per NIC.
  EXPECT_DOUBLE_EQ(g.link(g.link_between(nics[2], g.network(), LinkKind::net)).gb_s, 50.0);
}

TEST(PresetGh200Alps, Nv6C2cAndCassiniNics) {
  Graph g = node_preset("gh200-alps");
  auto gpus = g.of_kind(VertexKind::gpu), nics = g.of_kind(VertexKind::nic);
  ASSERT_EQ(gpus.size(), 4u);
  ASSERT_EQ(nics.size(), 4u);
  EXPECT_EQ(g.of_kind(VertexKind::cpu).size(), 4u);
  for (int a : gpus)
    for (int b : gpus)
      if (a != b) {
        EXPECT_EQ(cls(g, a, b), "NV6");
      }
  for (int n : nics) {
    EXPECT_EQ(g.vertex(n).nic.transport, "slingshot-cxi");
    EXPECT_DOUBLE_EQ(g.link(g.link_between(n, g.network(), LinkKind::net)).gb_s, 25.0);  // 200 Gb/s
  }
  auto choices = best_nics(g);
  ASSERT_EQ(choices.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(g.cpu_of(choices[i].nic), g.cpu_of(gpus[i]));  // the Cassini of its own Grace
    EXPECT_EQ(to_string(choices[i].path), "NODE");
  }
  EXPECT_EQ(cls(g, gpus[0], nics[1]), "SYS");
  int c2c = g.link_between(gpus[2], g.cpu_of(gpus[2]), LinkKind::c2c);
  ASSERT_GE(c2c, 0);
  EXPECT_DOUBLE_EQ(g.link(c2c).gb_s, 450.0);
  EXPECT_EQ(g.vertex(gpus[1]).bus_id, "0019:01:00.0");
  EXPECT_EQ(gpu_cpus(g, gpus[3]), "216-287");
}

TEST(PresetPcieOnly, PairsOnSwitchesTwoNics) {
  Graph g = node_preset("pcie-only");
  auto gpus = g.of_kind(VertexKind::gpu), nics = g.of_kind(VertexKind::nic);
  ASSERT_EQ(gpus.size(), 8u);
  ASSERT_EQ(nics.size(), 2u);
  EXPECT_EQ(cls(g, gpus[0], gpus[1]), "PIX");
  EXPECT_EQ(cls(g, gpus[0], gpus[2]), "NODE");
  EXPECT_EQ(cls(g, gpus[0], gpus[4]), "SYS");
  auto choices = best_nics(g);
  ASSERT_EQ(choices.size(), 8u);
  const char* expect[] = {"PIX", "PIX", "NODE", "NODE", "PIX", "PIX", "NODE", "NODE"};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(choices[i].nic, nics[i / 4]) << "GPU" << i;
    EXPECT_EQ(to_string(choices[i].path), expect[i]) << "GPU" << i;
  }
}

TEST(Presets, RoundTripThroughNcclXml) {
  for (const auto& name : node_preset_names()) {
    Graph g = node_preset(name);
    EXPECT_EQ(canonical_text(parse_nccl_xml(to_nccl_xml(g), name)), canonical_text(g)) << name;
  }
}

TEST(Presets, UnknownNameListsTheKnownOnes) {
  try {
    node_preset("dgx-a100");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dgx-h100, gh200-alps, pcie-only"), std::string::npos) << e.what();
  }
}

// Two GPUs and two NICs under one switch, equally close and fast: one NIC each.
TEST(BestNic, BalancesEquallyGoodNics) {
  const char* xml = R"(<system version="1"><cpu numaid="0" arch="x86_64">
<pci busid="0000:10:00.0" class="0x060400" link_speed="16.0 GT/s PCIe" link_width="16">
<pci busid="0000:11:00.0" class="0x030200" link_speed="16.0 GT/s PCIe" link_width="16"/>
<pci busid="0000:12:00.0" class="0x030200" link_speed="16.0 GT/s PCIe" link_width="16"/>
<pci busid="0000:13:00.0" class="0x020700" link_speed="16.0 GT/s PCIe" link_width="16"/>
<pci busid="0000:14:00.0" class="0x020700" link_speed="16.0 GT/s PCIe" link_width="16"/>
</pci></cpu></system>)";
  Graph g = parse_nccl_xml(xml, "balance.xml");
  auto choices = best_nics(g);
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_NE(choices[0].nic, choices[1].nic);
  EXPECT_EQ(to_string(choices[0].path), "PIX");
  EXPECT_EQ(to_string(choices[1].path), "PIX");
}

// A closer NIC wins over balance; a faster NIC wins among equally close ones.
TEST(BestNic, ClassBeforeBandwidthBeforeBalance) {
  const char* xml = R"(<system version="1"><cpu numaid="0" arch="x86_64">
<pci busid="0000:10:00.0" class="0x060400" link_speed="16.0 GT/s PCIe" link_width="16">
<pci busid="0000:11:00.0" class="0x030200" link_speed="16.0 GT/s PCIe" link_width="16"/>
<pci busid="0000:12:00.0" class="0x030200" link_speed="16.0 GT/s PCIe" link_width="16"/>
<pci busid="0000:13:00.0" class="0x020700" link_speed="16.0 GT/s PCIe" link_width="4"/>
<pci busid="0000:14:00.0" class="0x020700" link_speed="16.0 GT/s PCIe" link_width="16"/>
</pci>
<pci busid="0000:20:00.0" class="0x020700" link_speed="16.0 GT/s PCIe" link_width="16"/>
</cpu></system>)";
  Graph g = parse_nccl_xml(xml, "prefer.xml");
  for (const auto& c : best_nics(g)) {
    EXPECT_EQ(g.vertex(c.nic).bus_id, "0000:14:00.0");  // PIX at 24 GB/s beats PIX at 6 and PHB
    EXPECT_DOUBLE_EQ(c.path.bottleneck_gb_s, 24.0);
  }
  auto slow = find_path(g, g.find_bus_id("0000:11:00.0"), g.find_bus_id("0000:13:00.0"));
  EXPECT_DOUBLE_EQ(slow.bottleneck_gb_s, 4 * 120 / 80.0);  // Gen4 x4
  EXPECT_EQ(slow.vertices.size(), 3u);
  EXPECT_DOUBLE_EQ(slow.latency_us, 2.0);  // two PCIe hops at NCCL's 1 us
}

TEST(Matrix, NvidiaSmiLayoutWithinHundredColumns) {
  for (const auto& name : node_preset_names()) {
    std::string m = format_matrix(node_preset(name));
    std::size_t start = 0;
    while (start < m.size()) {
      auto end = m.find('\n', start);
      EXPECT_LE(end - start, 100u) << name << ": " << m.substr(start, end - start);
      start = end + 1;
    }
    EXPECT_NE(m.find("CPU Affinity"), std::string::npos);
    EXPECT_NE(m.find("NUMA Affinity"), std::string::npos);
  }
  std::string dgx = format_matrix(node_preset("dgx-h100"));
  EXPECT_NE(dgx.find("GPU0  X    NV18"), std::string::npos) << dgx;
  EXPECT_NE(dgx.find("NIC0: mlx5_0"), std::string::npos);
  std::string alps = format_matrix(node_preset("gh200-alps"));
  EXPECT_NE(alps.find("GPU0  X    NV6  NV6  NV6  NODE SYS  SYS  SYS    0-71          0\n"), std::string::npos) << alps;
}

TEST(TopoJson, SchemaMatrixAndNicChoices) {
  Json doc = topology_to_json(node_preset("dgx-h100"));
  EXPECT_EQ(doc["schema"], "cairn.topo");
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["matrix"]["devices"].size(), 16u);
  EXPECT_EQ(doc["matrix"]["paths"][0][1], "NV18");
  EXPECT_EQ(doc["matrix"]["paths"][0][8], "PIX");
  EXPECT_EQ(doc["gpus"][3]["nic_name"], "mlx5_3");
  EXPECT_EQ(doc["gpus"][3]["path"], "PIX");
  EXPECT_EQ(doc["gpus"][6]["numa"], 1);
  bool nvswitch = false;
  for (const auto& v : doc["vertices"]) nvswitch |= v["kind"] == "nvswitch";
  EXPECT_TRUE(nvswitch);
}

}  // namespace
}  // namespace cairn::topology

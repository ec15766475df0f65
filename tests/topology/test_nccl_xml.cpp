// NCCL topology XML: the two Azure files, read by hand and asserted here; round trips;
// errors that name the file.
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "topology/nccl_xml.h"
#include "topology/paths.h"
#include "tests/support/shared_topologies.h"

namespace cairn::topology {
namespace {

int dev(const Graph& g, const std::string& bus_id) {
  int v = g.find_bus_id(bus_id);
  EXPECT_GE(v, 0) << bus_id << " not in the graph";
  return v;
}

std::string path_class(const Graph& g, const std::string& a, const std::string& b) {
  return to_string(find_path(g, dev(g, a), dev(g, b)));
}

// The error a parse throws, or "" if it parsed.
std::string error_of(const std::string& xml) {
  try {
    parse_nccl_xml(xml, "topo.xml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(NcclXmlNdv5, DevicesAndNumaNodes) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(ndv5, "nccl/azure-ndv5-topo.xml");
  Graph g = read_nccl_xml_file(ndv5);
  EXPECT_EQ(g.of_kind(VertexKind::gpu).size(), 8u);
  EXPECT_EQ(g.of_kind(VertexKind::nic).size(), 8u);
  EXPECT_EQ(g.of_kind(VertexKind::pci).size(), 8u);  // one switch per GPU+NIC pair
  ASSERT_EQ(g.of_kind(VertexKind::cpu).size(), 2u);
  // affinity="ffffffff,ffff0000,00000000" is CPUs 48-95; the second NUMA node has 0-47.
  EXPECT_EQ(g.vertex(g.find_cpu(0)).cpu.cpus, "48-95");
  EXPECT_EQ(g.vertex(g.find_cpu(1)).cpu.cpus, "0-47");
  // GenuineIntel family 6 model 143 is Sapphire Rapids: NCCL's SRP_QPI_BW, 22 GB/s.
  int smp = g.link_between(g.find_cpu(0), g.find_cpu(1), LinkKind::smp);
  ASSERT_GE(smp, 0);
  EXPECT_DOUBLE_EQ(g.link(smp).gb_s, 22.0);
  EXPECT_EQ(g.link(smp).name, "UPI");
  // GPU 0008:00:00.0 is under the fourth switch of NUMA node 0.
  EXPECT_EQ(gpu_numa(g, dev(g, "0008:00:00.0")), 0);
  EXPECT_EQ(gpu_cpus(g, dev(g, "0009:00:00.0")), "0-47");
}

TEST(NcclXmlNdv5, EachGpuSharesASwitchWithOneNic) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(ndv5, "nccl/azure-ndv5-topo.xml");
  Graph g = read_nccl_xml_file(ndv5);
  EXPECT_EQ(path_class(g, "0001:00:00.0", "0101:00:00.0"), "PIX");
  EXPECT_EQ(path_class(g, "0008:00:00.0", "0104:00:00.0"), "PIX");
  EXPECT_EQ(path_class(g, "000c:00:00.0", "0108:00:00.0"), "PIX");
  // Another switch under the same CPU: the four bridges all sit on root bus ffff:ff, so one
  // host bridge is crossed (PHB); across the two CPUs, SYS.
  EXPECT_EQ(path_class(g, "0001:00:00.0", "0002:00:00.0"), "PHB");
  EXPECT_EQ(path_class(g, "0001:00:00.0", "0102:00:00.0"), "PHB");
  EXPECT_EQ(path_class(g, "0001:00:00.0", "0009:00:00.0"), "SYS");
  EXPECT_EQ(path_class(g, "0003:00:00.0", "0107:00:00.0"), "SYS");
  // PCIe Gen5 x16 (32 GT/s): NCCL rates it 16 x 240 / 80 = 48 GB/s.
  auto p = find_path(g, dev(g, "0002:00:00.0"), dev(g, "0102:00:00.0"));
  EXPECT_DOUBLE_EQ(p.bottleneck_gb_s, 48.0);
  // Across the sockets the UPI link (22 GB/s) is the bottleneck.
  EXPECT_DOUBLE_EQ(find_path(g, dev(g, "0001:00:00.0"), dev(g, "0009:00:00.0")).bottleneck_gb_s, 22.0);
}

TEST(NcclXmlNdv5, BestNicIsTheSwitchPartner) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(ndv5, "nccl/azure-ndv5-topo.xml");
  Graph g = read_nccl_xml_file(ndv5);
  const std::pair<const char*, const char*> partners[] = {
      {"0001:00:00.0", "0101:00:00.0"}, {"0002:00:00.0", "0102:00:00.0"}, {"0003:00:00.0", "0103:00:00.0"},
      {"0008:00:00.0", "0104:00:00.0"}, {"0009:00:00.0", "0105:00:00.0"}, {"000a:00:00.0", "0106:00:00.0"},
      {"000b:00:00.0", "0107:00:00.0"}, {"000c:00:00.0", "0108:00:00.0"}};
  auto choices = best_nics(g);
  ASSERT_EQ(choices.size(), 8u);
  for (const auto& [gpu, nic] : partners) {
    bool found = false;
    for (const auto& c : choices) {
      if (g.vertex(c.gpu).bus_id != gpu) continue;
      found = true;
      EXPECT_EQ(g.vertex(c.nic).bus_id, nic) << "GPU " << gpu;
      EXPECT_EQ(to_string(c.path), "PIX");
    }
    EXPECT_TRUE(found) << gpu;
  }
}

TEST(NcclXmlNdv2, OneNicOnNumaZero) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(ndv2, "nccl/azure-ndv2-topo.xml");
  Graph g = read_nccl_xml_file(ndv2);
  EXPECT_EQ(g.of_kind(VertexKind::gpu).size(), 8u);
  ASSERT_EQ(g.of_kind(VertexKind::nic).size(), 1u);
  EXPECT_TRUE(g.of_kind(VertexKind::pci).empty());  // no switches in this file
  EXPECT_EQ(g.vertex(g.find_cpu(0)).cpu.cpus, "0-19");
  EXPECT_EQ(g.vertex(g.find_cpu(1)).cpu.cpus, "20-39");
  // GPUs 0001-0004 and the NIC hang from NUMA 0, each on its own root bus: NODE.
  EXPECT_EQ(path_class(g, "0001:00:00.0", "0101:00:00.0"), "NODE");
  EXPECT_EQ(path_class(g, "0004:00:00.0", "0101:00:00.0"), "NODE");
  EXPECT_EQ(path_class(g, "0001:00:00.0", "0002:00:00.0"), "NODE");
  // GPUs on NUMA 1 reach the only NIC across the socket interconnect.
  for (const char* gpu : {"0005:00:00.0", "0006:00:00.0", "0007:00:00.0", "0008:00:00.0"})
    EXPECT_EQ(path_class(g, gpu, "0101:00:00.0"), "SYS") << gpu;
  // Family 6 model 85 is Skylake: NCCL's SKL_QPI_BW, 10 GB/s.
  EXPECT_DOUBLE_EQ(find_path(g, dev(g, "0005:00:00.0"), dev(g, "0101:00:00.0")).bottleneck_gb_s, 10.0);
  // Everyone shares the one NIC.
  auto choices = best_nics(g);
  ASSERT_EQ(choices.size(), 8u);
  for (const auto& c : choices) EXPECT_EQ(g.vertex(c.nic).bus_id, "0101:00:00.0");
}

TEST(NcclXmlRoundTrip, AzureFiles) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(ndv5, "nccl/azure-ndv5-topo.xml");
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(ndv2, "nccl/azure-ndv2-topo.xml");
  for (const auto& file : {ndv5, ndv2}) {
    Graph g = read_nccl_xml_file(file);
    std::string xml = to_nccl_xml(g);
    Graph again = parse_nccl_xml(xml, "exported");
    EXPECT_EQ(canonical_text(again), canonical_text(g)) << file;
    EXPECT_EQ(to_nccl_xml(again), xml) << file;
  }
}

// What NCCL's own reader (src/graph/xml.cc) needs from a file.
TEST(NcclXmlWriter, StaysWithinWhatNcclParses) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(ndv5, "nccl/azure-ndv5-topo.xml");
  Graph g = read_nccl_xml_file(ndv5);
  std::string xml = to_nccl_xml(g);
  EXPECT_EQ(xml.rfind("<system version=\"1\">\n", 0), 0u) << "no XML declaration; <system> first";
  EXPECT_EQ(xml.find('\t'), std::string::npos);
  EXPECT_EQ(xml.find('\''), std::string::npos);
  EXPECT_EQ(xml.find(" />"), std::string::npos) << "NCCL reads ' />' as an empty attribute";
  EXPECT_EQ(xml.find("host_hash"), std::string::npos);
}

TEST(NcclXmlRoundTrip, GpusNvlinksNicsAndC2c) {
  const std::string xml = R"(<system version="1">
  <cpu numaid="0" affinity="0000ffff" arch="x86_64" vendor="AuthenticAMD" familyid="25" modelid="1">
    <pci busid="0000:40:01.0" class="0x060400" link_speed="16.0 GT/s PCIe" link_width="16">
      <pci busid="0000:41:00.0" class="0x030200" link_speed="16.0 GT/s PCIe" link_width="16">
        <gpu dev="0" sm="80" rank="0" gdr="1">
          <nvlink target="0000:42:00.0" count="12" tclass="0x030200"/>
        </gpu>
      </pci>
      <pci busid="0000:42:00.0" class="0x030200" link_speed="16.0 GT/s PCIe" link_width="16">
        <gpu dev="1" sm="80" rank="1" gdr="1">
          <nvlink target="0000:41:00.0" count="12" tclass="0x030200"/>
        </gpu>
      </pci>
      <pci busid="0000:43:00.0" class="0x020700" link_speed="16.0 GT/s PCIe" link_width="8">
        <nic>
          <net name="mlx5_0" dev="0" speed="200000" port="1" latency="0" guid="0x1c34da0300a1b2c3" maxconn="131072" gdr="1"/>
          <net name="mlx5_1" dev="1" speed="200000" port="2" guid="0x1c34da0300a1b2c4" maxconn="131072" gdr="1"/>
        </nic>
      </pci>
    </pci>
  </cpu>
  <cpu numaid="1" affinity="ffff0000" arch="arm64">
    <pci busid="0009:01:00.0" class="0x030200" link_speed="32.0 GT/s PCIe" link_width="16">
      <gpu dev="2" sm="90">
        <c2c bw="45000" count="10"/>
      </gpu>
    </pci>
    <nic>
      <net name="cxi0" dev="2" speed="200000"/>
    </nic>
  </cpu>
</system>
)";
  Graph g = parse_nccl_xml(xml, "inline.xml");
  int a = g.find_bus_id("0000:41:00.0"), b = g.find_bus_id("0000:42:00.0");
  auto p = find_path(g, a, b);
  EXPECT_EQ(to_string(p), "NV12");
  EXPECT_DOUBLE_EQ(p.bottleneck_gb_s, 12 * 20.0);  // SM80_NVLINK_BW per link
  int nic = g.find_bus_id("0000:43:00.0");
  ASSERT_EQ(g.vertex(nic).nic.ports.size(), 2u);
  EXPECT_EQ(*g.vertex(nic).nic.ports[1].port, 2);
  // Two 200 Gb/s ports: 2 x 200000 / 8000 = 50 GB/s into the network.
  EXPECT_DOUBLE_EQ(g.link(g.link_between(nic, g.network(), LinkKind::net)).gb_s, 50.0);
  // Gen4 x8 below a Gen4 x16 switch: 8 x 120 / 80 = 12 GB/s is the GPU-NIC bottleneck.
  EXPECT_EQ(to_string(find_path(g, a, nic)), "PIX");
  EXPECT_DOUBLE_EQ(find_path(g, a, nic).bottleneck_gb_s, 12.0);
  // C2C: 10 links of 45000 MB/s -> 450 GB/s.
  int gh = g.find_bus_id("0009:01:00.0");
  int c2c = g.link_between(gh, g.find_cpu(1), LinkKind::c2c);
  ASSERT_GE(c2c, 0);
  EXPECT_DOUBLE_EQ(g.link(c2c).gb_s, 450.0);
  // AMD sockets: NCCL's AMD_BW (16 GB/s) between NUMA 0 and 1.
  EXPECT_DOUBLE_EQ(g.link(g.link_between(g.find_cpu(0), g.find_cpu(1), LinkKind::smp)).gb_s, 16.0);
  EXPECT_EQ(g.of_kind(VertexKind::nic).size(), 2u);  // cxi0 has no PCI device

  Graph again = parse_nccl_xml(to_nccl_xml(g), "exported");
  EXPECT_EQ(canonical_text(again), canonical_text(g));
}

TEST(NcclXmlNvSwitch, HiddenTargetsAreOneSwitch) {
  // What NCCL dumps on an HGX H100: the NVSwitches are not visible on PCI.
  std::string xml = R"(<system version="1"><cpu numaid="0" arch="x86_64">)";
  for (int i = 0; i < 4; ++i) {
    char gpu[400];
    std::snprintf(gpu, sizeof gpu,
                  R"(<pci busid="0000:%02x:00.0" class="0x030200" link_speed="32.0 GT/s PCIe" link_width="16">)"
                  R"(<gpu dev="%d" sm="90"><nvlink target="fffffff:ffff:ff" count="18" tclass="0x068000"/></gpu></pci>)",
                  0x18 + i, i);
    xml += gpu;
  }
  xml += "</cpu></system>";
  Graph g = parse_nccl_xml(xml, "hgx.xml");
  EXPECT_EQ(g.of_kind(VertexKind::nvswitch).size(), 1u);
  auto p = find_path(g, g.find_bus_id("0000:18:00.0"), g.find_bus_id("0000:1b:00.0"));
  EXPECT_EQ(to_string(p), "NV18");
  EXPECT_NEAR(p.bottleneck_gb_s, 18 * 20.6, 1e-9);  // SM90_NVLINK_BW
  std::string out = to_nccl_xml(g);
  EXPECT_NE(out.find(R"(target="fffffff:ffff:ff" count="18" tclass="0x068000")"), std::string::npos);
  EXPECT_EQ(canonical_text(parse_nccl_xml(out, "again")), canonical_text(g));
}

TEST(NcclXmlErrors, NameTheFileAndTheProblem) {
  EXPECT_NE(error_of("<system version=\"1\"><cpu numaid=\"0\">").find("topo.xml: malformed XML"), std::string::npos);
  EXPECT_NE(error_of("<system version=\"1\"><cpu numaid=\"0\"></system>").find("malformed XML at line 1"),
            std::string::npos);
  EXPECT_NE(error_of("<topology version=\"2.0\"/>").find("not an NCCL topology file"), std::string::npos);
  EXPECT_NE(error_of("<system version=\"2\"/>").find("version=\"2\"> is not supported"), std::string::npos);
  EXPECT_NE(error_of("<system/>").find("<system> has no version attribute"), std::string::npos);
  EXPECT_NE(error_of("<system version=\"1\">\n<cpu/>\n</system>").find("topo.xml:2: <cpu> has no numaid attribute"),
            std::string::npos);
  std::string bad_bus = R"(<system version="1"><cpu numaid="0">
<pci busid="0000:zz:00.0" class="0x030200"/></cpu></system>)";
  EXPECT_NE(error_of(bad_bus).find("topo.xml:2: <pci busid=\"0000:zz:00.0\"> is not a PCI bus id"), std::string::npos);
  EXPECT_NE(error_of(R"(<system version="1"><cpu numaid="0"><pci class="0x030200"/></cpu></system>)")
                .find("<pci> has no busid attribute"),
            std::string::npos);
  EXPECT_NE(error_of(R"(<system version="1"><cpu numaid="0"><pci busid="0000:01:00.0"/></cpu></system>)")
                .find("<pci> has no class attribute"),
            std::string::npos);
  EXPECT_NE(error_of(R"(<system version="1"><cpu numaid="0"><pci busid="0000:01:00.0" class="gpu"/></cpu></system>)")
                .find("is not a PCI class"),
            std::string::npos);
  EXPECT_NE(error_of(R"(<system version="1"><cpu numaid="x"/></system>)").find("numaid=\"x\" is not an integer"),
            std::string::npos);
  EXPECT_NE(error_of(R"(<system version="1"><cpu numaid="0" affinity="zz"/></system>)").find("is not a CPU mask"),
            std::string::npos);
  EXPECT_NE(error_of(R"(<system version="1"><cpu numaid="0"/><cpu numaid="0"/></system>)").find("appears twice"),
            std::string::npos);
  std::string no_count = R"(<system version="1"><cpu numaid="0"><pci busid="0000:01:00.0" class="0x030200">
<gpu><nvlink target="0000:02:00.0" tclass="0x030200"/></gpu></pci></cpu></system>)";
  EXPECT_NE(error_of(no_count).find("<nvlink> has no count attribute"), std::string::npos);
  std::string bad_speed = R"(<system version="1"><cpu numaid="0"><pci busid="0000:01:00.0" class="0x030200" link_speed="fast"/></cpu></system>)";
  EXPECT_NE(error_of(bad_speed).find("is not a PCIe rate"), std::string::npos);
  EXPECT_NE(error_of("").find("topo.xml"), std::string::npos);
}

TEST(NcclXmlErrors, TruncatedFileNamesTheFile) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(ndv5, "nccl/azure-ndv5-topo.xml");
  std::string whole = to_nccl_xml(read_nccl_xml_file(ndv5));
  // Every cut inside the document must fail with the file named, never crash or pass.
  for (std::size_t cut = 1; cut + 2 < whole.size(); cut += 97) {
    std::string err = error_of(whole.substr(0, cut));
    EXPECT_EQ(err.rfind("topo.xml", 0), 0u) << "cut at " << cut << ": " << err;
  }
}

TEST(NcclXmlErrors, MissingAndEmptyFiles) {
  try {
    read_nccl_xml_file("/nonexistent/topo.xml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/topo.xml: no such file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cairn::topology

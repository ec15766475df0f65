// sysfs readers on trees shaped like a real node's /sys: InfiniBand ports and counters,
// PCIe links (with the upstream port limiting the maximum), network interfaces.
#include <gtest/gtest.h>

#include "probe/hwloc_xml.h"
#include "probe/ib_sysfs.h"
#include "probe/pcie_sysfs.h"
#include "probe/sysfs_root.h"
#include "probe_test_util.h"

namespace cairn::probe {
namespace {

using test::TempDir;

TEST(IbRate, KernelRateStrings) {
  auto ndr = parse_ib_rate("400 Gb/sec (4X NDR)");
  ASSERT_TRUE(ndr);
  EXPECT_DOUBLE_EQ(ndr->gbit_s, 400);
  EXPECT_EQ(ndr->speed, "NDR");
  EXPECT_EQ(ndr->width, 4);
  auto sdr = parse_ib_rate("2.5 Gb/sec (1X SDR)");
  ASSERT_TRUE(sdr);
  EXPECT_DOUBLE_EQ(sdr->gbit_s, 2.5);
  EXPECT_EQ(sdr->width, 1);
  auto hdr = parse_ib_rate("200 Gb/sec (2X NDR)");
  EXPECT_EQ(hdr->width, 2);
  auto roce = parse_ib_rate("100 Gb/sec");
  ASSERT_TRUE(roce);
  EXPECT_DOUBLE_EQ(roce->gbit_s, 100);
  EXPECT_EQ(roce->speed, "");
  EXPECT_FALSE(parse_ib_rate(""));
  EXPECT_FALSE(parse_ib_rate("fast"));
  EXPECT_FALSE(parse_ib_rate("400 Gb/sec (NDR)"));
  EXPECT_FALSE(parse_ib_rate("400 Gb/sec (4X NDR"));
  EXPECT_FALSE(parse_ib_rate("-5 Gb/sec"));
  EXPECT_EQ(strip_state_number("4: ACTIVE"), "ACTIVE");
  EXPECT_EQ(strip_state_number("5: LinkUp"), "LinkUp");
}

TEST(PcieSpeed, KernelSpeedStrings) {
  EXPECT_DOUBLE_EQ(parse_pcie_speed_gt_s("16.0 GT/s PCIe"), 16);
  EXPECT_DOUBLE_EQ(parse_pcie_speed_gt_s("2.5 GT/s"), 2.5);
  EXPECT_DOUBLE_EQ(parse_pcie_speed_gt_s("Unknown"), 0);
  EXPECT_DOUBLE_EQ(parse_pcie_speed_gt_s("8 MT/s"), 0);
  EXPECT_EQ(pcie_generation(32), 5);
  EXPECT_EQ(pcie_generation(2.5), 1);
  EXPECT_EQ(pcie_generation(3), 0);
}

// An NDR HCA with two ports: port 1 ACTIVE, port 2 down, plus its counters.
void write_hca(const TempDir& sys) {
  std::string d = "class/infiniband/mlx5_0/";
  sys.write(d + "fw_ver", "28.39.1002\n");
  sys.write(d + "node_guid", "a088:c203:0049:1a2c\n");
  sys.write(d + "device/uevent", "DRIVER=mlx5_core\nPCI_CLASS=20700\nPCI_ID=15B3:1021\nPCI_SLOT_NAME=0000:17:00.0\n");
  sys.mkdir(d + "device/net/ibp23s0");
  sys.write(d + "ports/1/state", "4: ACTIVE\n");
  sys.write(d + "ports/1/phys_state", "5: LinkUp\n");
  sys.write(d + "ports/1/rate", "400 Gb/sec (4X NDR)\n");
  sys.write(d + "ports/1/link_layer", "InfiniBand\n");
  sys.write(d + "ports/1/lid", "0x2a\n");
  sys.write(d + "ports/1/gids/0", "fe80:0000:0000:0000:a088:c203:0049:1a2c\n");
  sys.write(d + "ports/1/counters/symbol_error", "0\n");
  sys.write(d + "ports/1/counters/link_downed", "2\n");
  sys.write(d + "ports/1/counters/port_rcv_errors", "7\n");
  sys.write(d + "ports/1/hw_counters/out_of_buffer", "12\n");
  sys.write(d + "ports/2/state", "1: DOWN\n");
  sys.write(d + "ports/2/phys_state", "3: Disabled\n");
  sys.write(d + "ports/2/rate", "10 Gb/sec (4X SDR)\n");
  sys.write(d + "ports/2/link_layer", "InfiniBand\n");
}

TEST(IbSysfs, ReadsDevicesPortsAndCounters) {
  TempDir sys("ib_sysfs");
  write_hca(sys);
  auto devs = read_ib_devices(SysfsRoot(sys.str()));
  ASSERT_EQ(devs.size(), 1u);
  const auto& d = devs[0];
  EXPECT_EQ(d.name, "mlx5_0");
  EXPECT_EQ(d.bus_id, "0000:17:00.0");
  EXPECT_EQ(d.fw_ver, "28.39.1002");
  EXPECT_EQ(d.node_guid, "a088:c203:0049:1a2c");
  EXPECT_EQ(d.netdevs, std::vector<std::string>{"ibp23s0"});
  ASSERT_EQ(d.ports.size(), 2u);
  EXPECT_EQ(d.ports[0].state, "ACTIVE");
  EXPECT_EQ(d.ports[0].phys_state, "LinkUp");
  EXPECT_DOUBLE_EQ(d.ports[0].rate_gbit_s, 400);
  EXPECT_EQ(d.ports[0].speed, "NDR");
  EXPECT_EQ(d.ports[0].lid, 42u);
  EXPECT_EQ(d.ports[0].counters.at("link_downed"), 2u);
  EXPECT_EQ(d.ports[0].counters.at("out_of_buffer"), 12u);
  EXPECT_EQ(d.ports[1].state, "DOWN");
  EXPECT_EQ(d.ports[1].phys_state, "Disabled");
}

TEST(IbSysfs, NoInfinibandIsZeroDevices) {
  TempDir sys("ib_none");
  EXPECT_TRUE(read_ib_devices(SysfsRoot(sys.str())).empty());
  EXPECT_TRUE(read_ib_devices(SysfsRoot(sys / "missing")).empty());
}

TEST(IbSysfs, MergeKeepsHwlocLocalityAndAddsUnseenDevices) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  // The Conan file's mlx5_0 (NUMA 1, netdev ib0), and a device hwloc did not see.
  auto node = read_hwloc_xml_file(hwloc + "/32em64t-2n8c2t-pci-normalio.xml");
  NicInfo fresh;
  fresh.name = "mlx5_0";
  fresh.transport = "ibverbs";
  fresh.bus_id = "0000:04:00.0";
  fresh.ports.push_back({1, "DOWN", "Polling"});
  NicInfo unseen;
  unseen.name = "rxe0";
  unseen.transport = "ibverbs";
  merge_ib_devices(node, {fresh, unseen});
  const NicInfo* mlx = nullptr;
  for (const auto& n : node.nics)
    if (n.name == "mlx5_0") mlx = &n;
  ASSERT_NE(mlx, nullptr);
  EXPECT_EQ(mlx->numa_node, 1);
  EXPECT_EQ(mlx->netdevs, std::vector<std::string>{"ib0"});
  ASSERT_EQ(mlx->ports.size(), 1u);
  EXPECT_EQ(mlx->ports[0].state, "DOWN");
  EXPECT_EQ(node.nics.back().name, "rxe0");
  EXPECT_EQ(node.nics.back().numa_node, -1);
}

TEST(PcieSysfs, UpstreamPortLimitsTheMaximum) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  // The Conan file: root port 80:03.0 above the CUDA GPU 84:00.0 and the ConnectX 04:00.0.
  auto node = read_hwloc_xml_file(hwloc + "/32em64t-2n8c2t-pci-normalio.xml");
  TempDir sys("pcie");
  auto link = [&](const std::string& bdf, const char* cur, const char* w, const char* max, const char* mw) {
    sys.write("bus/pci/devices/" + bdf + "/current_link_speed", std::string(cur) + "\n");
    sys.write("bus/pci/devices/" + bdf + "/current_link_width", std::string(w) + "\n");
    sys.write("bus/pci/devices/" + bdf + "/max_link_speed", std::string(max) + "\n");
    sys.write("bus/pci/devices/" + bdf + "/max_link_width", std::string(mw) + "\n");
  };
  link("0000:80:03.0", "8.0 GT/s PCIe", "8", "8.0 GT/s PCIe", "8");   // an x8 slot
  link("0000:84:00.0", "8.0 GT/s PCIe", "8", "8.0 GT/s PCIe", "16");  // an x16 card in it
  link("0000:03:00.0", "5.0 GT/s PCIe", "16", "8.0 GT/s PCIe", "16");
  read_pcie_links(SysfsRoot(sys.str()), node);
  const auto* gpu = node.find_pci("0000:84:00.0");
  EXPECT_EQ(gpu->link.width, 8);
  EXPECT_EQ(gpu->link.max_width, 8);  // the slot, not the card, is the limit
  EXPECT_FALSE(gpu->link.downtrained());
  const auto* other = node.find_pci("0000:03:00.0");
  EXPECT_DOUBLE_EQ(other->link.speed_gt_s, 5);
  EXPECT_TRUE(other->link.downtrained());
  // The GPU records follow their PCI functions.
  for (const auto& g : node.gpus) {
    if (g.bus_id == "0000:03:00.0") {
      EXPECT_DOUBLE_EQ(g.pcie.max_speed_gt_s, 8);
    }
  }
  // Devices without link attributes keep hwloc's reported bandwidth only.
  EXPECT_EQ(node.find_pci("0000:83:00.0")->link.width, 0);
}

TEST(SysfsRoot, RecordsExactlyWhatWasRead) {
  TempDir sys("record_src"), cap("record_dst");
  write_hca(sys);
  SysfsRoot root(sys.str());
  root.record_to(cap.str());
  auto devs = read_ib_devices(root);
  ASSERT_EQ(devs.size(), 1u);
  // Replaying the copy gives the same devices.
  auto again = read_ib_devices(SysfsRoot(cap.str()));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].ports[0].counters, devs[0].ports[0].counters);
  EXPECT_EQ(again[0].netdevs, devs[0].netdevs);
  EXPECT_EQ(again[0].bus_id, "0000:17:00.0");
  EXPECT_FALSE(std::filesystem::exists(cap / "class/infiniband/mlx5_0/ports/3"));
}

TEST(NetdevSysfs, EthernetPortsFromClassNet) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto node = read_hwloc_xml_file(hwloc + "/96em64t-4n4d3ca2co-pci.xml");
  TempDir sys("net");
  sys.write("class/net/eth0/operstate", "up\n");
  sys.write("class/net/eth0/speed", "1000\n");
  sys.write("class/net/eth0/mtu", "9000\n");
  sys.write("class/net/eth1/operstate", "down\n");
  sys.write("class/net/eth1/speed", "-1\n");
  read_netdev_ports(SysfsRoot(sys.str()), node);
  ASSERT_EQ(node.nics[0].ports.size(), 1u);
  EXPECT_EQ(node.nics[0].ports[0].state, "ACTIVE");
  EXPECT_DOUBLE_EQ(node.nics[0].ports[0].rate_gbit_s, 1.0);
  EXPECT_EQ(node.nics[0].ports[0].active_mtu, 9000);
  EXPECT_EQ(node.nics[1].ports[0].state, "DOWN");
  EXPECT_DOUBLE_EQ(node.nics[1].ports[0].rate_gbit_s, 0);
  EXPECT_TRUE(node.nics[2].ports.empty());  // eth2: nothing in sysfs
}

}  // namespace
}  // namespace cairn::probe

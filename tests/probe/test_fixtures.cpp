// The probe on fixtures of its own (tests/fixtures/): every committed capture replays
// through the same pipeline as a live probe, and a plain /sys + /proc snapshot of the same
// VM (hwloc-gather-topology) reads to the same machine. These run on a plain clone.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "common/json_io.h"
#include "probe/discover.h"
#include "probe/health.h"
#include "probe/hwloc_xml.h"
#include "probe/node_json.h"
#include "probe/summary.h"
#include "probe_test_util.h"
#include "tests/support/fixtures.h"

namespace cairn::probe {
namespace {

using ::cairn::test::capture_fixtures;
using ::cairn::test::fixture;

TEST(CaptureFixtures, EveryCaptureReplaysAndRoundTrips) {
  for (const auto& name : capture_fixtures()) {
    const std::string dir = fixture("captures/" + name);
    NodeInfo n = probe_from(dir);
    EXPECT_EQ(n.source, "capture:" + dir) << name;
    Json meta = read_json_file(dir + "/meta.json");
    EXPECT_EQ(n.hostname, meta["hostname"].get<std::string>()) << name;
    EXPECT_GT(n.cpu.pus, 0) << name;
    EXPECT_FALSE(n.numa.empty()) << name;
    // The capture's hwloc XML alone gives the same CPUs and NUMA nodes as the replay.
    NodeInfo xml_only = read_hwloc_xml_file(dir + "/hwloc.xml");
    EXPECT_EQ(xml_only.cpu.pus, n.cpu.pus) << name;
    EXPECT_EQ(xml_only.numa.size(), n.numa.size()) << name;
    auto doc = node_to_json(n);
    EXPECT_EQ(node_to_json(node_from_json(doc, name)), doc) << name;
    auto text = render_summary(n, check_node(n));
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      EXPECT_LE(end - start, 100u) << name << ": " << text.substr(start, end - start);
      start = end + 1;
    }
  }
}

// Facts of the 2-core cloud VM the capture was taken on (read from its files by hand).
TEST(CaptureFixtures, Debian12VmIsTwoCoresOneNumaNodeAndOneEthernetPort) {
  NodeInfo n = probe_capture(fixture("captures/debian12-vm"));
  EXPECT_EQ(n.hostname, "vm");
  EXPECT_EQ(n.cpu.arch, "x86_64");
  EXPECT_EQ(n.cpu.packages, 1);
  EXPECT_EQ(n.cpu.cores, 2);
  EXPECT_EQ(n.cpu.pus, 2);
  ASSERT_EQ(n.numa.size(), 1u);
  EXPECT_EQ(n.numa[0].cpuset, "0-1");
  EXPECT_TRUE(n.gpus.empty());
  ASSERT_EQ(n.nics.size(), 1u);
  const NicInfo& eth = n.nics[0];
  EXPECT_EQ(eth.name, "eth0");
  EXPECT_EQ(eth.bus_id, "0000:00:03.0");
  EXPECT_EQ(eth.transport, "ethernet");
  // From the captured sysfs/class/net/eth0: operstate up, mtu 1400, speed -1 (virtio).
  ASSERT_EQ(eth.ports.size(), 1u);
  EXPECT_EQ(eth.ports[0].state, "ACTIVE");
  EXPECT_EQ(eth.ports[0].active_mtu, 1400);
  EXPECT_EQ(eth.ports[0].rate_gbit_s, 0.0);
  EXPECT_EQ(count_findings(check_node(n), Severity::error), 0);
}

// Facts of the GPU machine the device tool lends (one H100 on a 16-core VM), as its
// capture recorded them: CUDA's view of the GPU, the PCIe link from sysfs.
TEST(CaptureFixtures, H100VmIsOneH100AtGen5x16OnOneNumaNode) {
  NodeInfo n = probe_capture(fixture("captures/h100-vm"));
  EXPECT_EQ(n.cpu.packages, 1);
  EXPECT_EQ(n.cpu.pus, 16);
  ASSERT_EQ(n.numa.size(), 1u);
  EXPECT_EQ(n.numa[0].cpuset, "0-15");
  ASSERT_EQ(n.gpus.size(), 1u);
  const GpuInfo& gpu = n.gpus[0];
  EXPECT_EQ(gpu.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(gpu.bus_id, "0000:00:06.0");
  EXPECT_EQ(gpu.cuda_index, 0);
  EXPECT_EQ(gpu.memory_bytes, 85017493504u);
  EXPECT_EQ(gpu.pcie.speed_gt_s, 32.0);  // Gen5
  EXPECT_EQ(gpu.pcie.width, 16);
  EXPECT_EQ(gpu.pcie.max_width, 16);
  EXPECT_EQ(gpu.numa_node, 0);
  ASSERT_EQ(n.nics.size(), 1u);
  EXPECT_EQ(n.nics[0].transport, "ethernet");
  EXPECT_EQ(count_findings(check_node(n), Severity::error), 0);
}

TEST(SnapshotFixture, PlainSysProcTreeReadsAsTheSameVm) {
  const std::string dir = fixture("snapshots/debian12-vm");
  NodeInfo n = probe_from(dir);
  EXPECT_EQ(n.source, "snapshot:" + dir);
  EXPECT_EQ(n.hostname, "vm");
  EXPECT_EQ(n.cpu.arch, "x86_64");
  EXPECT_EQ(n.cpu.packages, 1);
  EXPECT_EQ(n.cpu.cores, 2);
  EXPECT_EQ(n.cpu.pus, 2);
  ASSERT_EQ(n.numa.size(), 1u);
  EXPECT_EQ(n.numa[0].cpuset, "0-1");
  // From the snapshot's /proc/cpuinfo, not from the CPUID of the machine reading it.
  EXPECT_EQ(n.cpu.model, "AMD EPYC");
  // The same machine as the capture: CPUs and memory agree.
  NodeInfo cap = probe_capture(fixture("captures/debian12-vm"));
  EXPECT_EQ(n.cpu.model, cap.cpu.model);
  EXPECT_EQ(n.numa[0].memory_bytes, cap.numa[0].memory_bytes);
  EXPECT_TRUE(n.gpus.empty());
}

// A snapshot of another architecture names its own CPU: hwloc's x86 backend would
// describe the reading machine's (a POWER9 tree read on an AMD host said "AMD EPYC").
TEST(SnapshotShared, Power9TreeNamesItsOwnCpu) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(tarball, "hwloc/nvidiagpunumanodes.sysfs.tar.bz2");
  test::TempDir dir("snapshot_p9");
  std::string cmd = "tar -xjf '" + tarball + "' -C '" + dir.str() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  NodeInfo n = probe_from(dir / "nvidiagpunumanodes");
  EXPECT_EQ(n.source, "snapshot:" + (dir / "nvidiagpunumanodes"));
  EXPECT_EQ(n.hostname, "c685f8n02");
  EXPECT_EQ(n.cpu.arch, "ppc64le");
  EXPECT_EQ(n.cpu.model, "POWER9, altivec supported");
  EXPECT_EQ(n.cpu.pus, 32);
  EXPECT_EQ(n.numa.size(), 8u);
}

TEST(SnapshotDetection, ADirectoryNeedsBothSysAndProc) {
  test::TempDir d("snapshot_detect");
  d.mkdir("only_sys/sys/devices");
  d.mkdir("empty");
  for (const char* rel : {"only_sys", "empty"}) {
    auto msg = test::error_of([&] { probe_from(d / rel); });
    EXPECT_NE(msg.find(d / rel), std::string::npos) << msg;
    EXPECT_NE(msg.find("not a capture (no meta.json) and not a /sys + /proc snapshot"), std::string::npos) << msg;
    EXPECT_NE(msg.find("hwloc-gather-topology"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace cairn::probe

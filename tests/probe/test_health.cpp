// Health checks on the shared hwloc files and on variants of them with one fault each.
#include <algorithm>

#include <gtest/gtest.h>

#include "probe/clock_events.h"
#include "probe/expect_spec.h"
#include "probe/health.h"
#include "probe/hwloc_xml.h"
#include "probe/summary.h"
#include "probe_test_util.h"

namespace cairn::probe {
namespace {


std::vector<std::string> ids(const std::vector<Finding>& f, Severity s) {
  std::vector<std::string> out;
  for (const auto& x : f)
    if (x.severity == s) out.push_back(x.check + " " + x.subject);
  return out;
}

NicInfo& nic(NodeInfo& n, const std::string& name) {
  for (auto& x : n.nics)
    if (x.name == name) return x;
  throw std::runtime_error("no NIC " + name);
}

TEST(Health, ConanOnlyTheSocket0GpuLacksANearNic) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/32em64t-2n8c2t-pci-normalio.xml");
  auto f = check_node(n);
  EXPECT_TRUE(ids(f, Severity::error).empty());
  // mlx5_0 is on NUMA node 1 with GPUs 83:00.0 and 84:00.0; 03:00.0 is on node 0.
  EXPECT_EQ(ids(f, Severity::warning), std::vector<std::string>{"gpu_without_near_nic GPU 0000:03:00.0"});
}

TEST(Health, MirageTwoSocket1GpusLackANearNic) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/24em64t-2n6c2t-pci.xml");
  auto f = check_node(n);
  EXPECT_EQ(ids(f, Severity::warning), (std::vector<std::string>{"gpu_without_near_nic GPU 0000:11:00.0",
                                                                 "gpu_without_near_nic GPU 0000:14:00.0"}));
}

TEST(Health, ExpectationsOnTheDgx2) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/nvidiaDGX2.xml");
  ExpectSpec e;
  e.gpus = 16;
  e.nics = 8;
  e.gpu_model = "V100";
  auto f = check_node(n, e);
  EXPECT_EQ(ids(f, Severity::error), std::vector<std::string>{"nic_count node"});
  e.gpus = 17;
  e.nics.reset();
  e.gpu_model = "H100";
  f = check_node(n, e);
  EXPECT_EQ(count_findings(f, Severity::error), 17);  // 16 gpu_model + gpu_count
  EXPECT_EQ(f.back().check, "gpu_count");
}

TEST(Health, GpuFaults) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/nvidiaDGX2.xml");
  n.gpus[3].nvlinks_supported = 6;
  n.gpus[3].nvlinks_active = 5;
  n.gpus[4].ecc_uncorrected = 2;
  n.gpus[5].retired_pages = 3;
  n.gpus[6].retired_pages = 1;
  n.gpus[6].retirement_pending = true;
  n.gpus[7].throttle_reasons = {"gpu_idle", "hw_slowdown"};
  n.gpus[8].throttle_reasons = {"gpu_idle"};
  auto f = check_node(n);
  EXPECT_EQ(ids(f, Severity::error), (std::vector<std::string>{"nvlink_down GPU 0000:3b:00.0",
                                                               "ecc_uncorrected GPU 0000:57:00.0",
                                                               "gpu_retirement_pending GPU 0000:5c:00.0"}));
  EXPECT_EQ(ids(f, Severity::warning), (std::vector<std::string>{"gpu_retired_pages GPU 0000:59:00.0",
                                                                 "gpu_throttling GPU 0000:5e:00.0"}));
  auto throttle = std::find_if(f.begin(), f.end(), [](const Finding& x) { return x.check == "gpu_throttling"; });
  EXPECT_NE(throttle->message.find("hw_slowdown"), std::string::npos);
  EXPECT_EQ(throttle->message.find("gpu_idle"), std::string::npos);
}

TEST(Health, PortsAndLinks) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/32em64t-2n8c2t-pci-normalio.xml");
  auto& mlx = nic(n, "mlx5_0");
  mlx.ports[0].rate_gbit_s = 56;
  mlx.ports[0].speed = "FDR";
  mlx.ports[0].width = 4;
  mlx.ports.push_back({2, "INIT", "LinkUp", "InfiniBand"});
  ExpectSpec e;
  e.nic_rate_gbit_s = 100;
  // GPU 84:00.0 idles at Gen1 (a warning); GPU 83:00.0 trained at x8 of x16 (an error).
  for (auto& g : n.gpus) {
    if (g.bus_id == "0000:84:00.0") g.pcie = {2.5, 16, 8, 16};
    if (g.bus_id == "0000:83:00.0") g.pcie = {8, 8, 8, 16};
  }
  auto f = check_node(n, e);
  EXPECT_EQ(ids(f, Severity::error), (std::vector<std::string>{"ib_port_slow mlx5_0 port 1",
                                                               "ib_port_not_active mlx5_0 port 2",
                                                               "pcie_downtrained GPU 0000:83:00.0"}));
  auto init = std::find_if(f.begin(), f.end(), [](const Finding& x) { return x.check == "ib_port_not_active"; });
  EXPECT_NE(init->message.find("subnet manager"), std::string::npos) << init->message;
  auto warn = ids(f, Severity::warning);
  EXPECT_NE(std::find(warn.begin(), warn.end(), "pcie_downtrained GPU 0 (0000:84:00.0)"), warn.end());
}

TEST(Health, SummaryFitsOneHundredColumns) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  for (const char* file : {"nvidiaDGX2.xml", "32em64t-2n8c2t-pci-normalio.xml", "24em64t-2n6c2t-pci.xml",
                           "96em64t-4n4d3ca2co-pci.xml", "16intel64-manyVFs.xml"}) {
    auto n = read_hwloc_xml_file(hwloc + "/" + file);
    n.notes.push_back("a long note " + std::string(150, 'x') + " that must wrap or be cut at the edge");
    ExpectSpec e;
    e.gpus = 99;
    e.gpu_model = "some GPU model name that is long enough to push the message past one hundred columns";
    auto text = render_summary(n, check_node(n, e));
    std::size_t start = 0, lines = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      EXPECT_LE(end - start, 100u) << file << ": " << text.substr(start, end - start);
      start = end + 1;
      ++lines;
    }
    EXPECT_GT(lines, 5u);
    EXPECT_NE(text.find("gpu_count"), std::string::npos);
  }
}

TEST(ExpectSpec, ReadsFieldsAndRejectsMistakes) {
  auto doc = Json::parse(R"({"schema": "cairn.expect", "schema_version": 1, "gpus": 8, "nics": 8,
                             "nic_rate_gbit_s": 400, "gpu_model": "H100", "pcie_gen": 5, "pcie_width": 16})");
  auto s = expect_spec_from_json(doc, "spec.json");
  EXPECT_EQ(*s.gpus, 8);
  EXPECT_DOUBLE_EQ(*s.nic_rate_gbit_s, 400);
  EXPECT_EQ(s.gpu_model, "H100");
  EXPECT_EQ(*s.pcie_gen, 5);
  auto err = [](const char* text) {
    return test::error_of([&] { expect_spec_from_json(Json::parse(text), "spec.json"); });
  };
  EXPECT_NE(err(R"({"schema": "cairn.expect", "schema_version": 1, "gpu": 8})").find("unknown field \"gpu\""), std::string::npos);
  EXPECT_NE(err(R"({"schema": "cairn.expect", "schema_version": 1, "gpus": -1})").find("\"gpus\" must be"), std::string::npos);
  EXPECT_NE(err(R"({"schema": "cairn.expect", "schema_version": 1, "nic_rate_gbit_s": "400"})").find("positive number"),
            std::string::npos);
  EXPECT_NE(err(R"({"schema": "cairn.expect", "schema_version": 2})").find("schema_version 2"), std::string::npos);
  EXPECT_NE(err(R"({"schema": "cairn.probe", "schema_version": 1})").find("expected \"cairn.expect\""), std::string::npos);
  EXPECT_NE(err(R"({"gpus": 8})").find("spec.json"), std::string::npos);
}

// The reasons that slow a GPU, for the probe's finding and the straggler's cause alike:
// an idle GPU or clocks an administrator set are no fault.
TEST(ClockEvents, OnlyReasonsThatSlowTheGpuAreNamed) {
  GpuInfo g;
  g.throttle_reasons = {"gpu_idle", "sw_power_cap", "applications_clocks_setting", "hw_thermal_slowdown"};
  EXPECT_EQ(slowing_clock_events(g), "sw_power_cap, hw_thermal_slowdown");
  g.throttle_reasons = {"gpu_idle", "sync_boost", "display_clock_setting"};
  EXPECT_EQ(slowing_clock_events(g), "");
  EXPECT_TRUE(slows_the_gpu("hw_slowdown"));
  EXPECT_FALSE(slows_the_gpu("gpu_idle"));
  // No NVML on this machine, or no such GPU: no cause, never an error.
  EXPECT_EQ(slowing_clock_events_now("0000:ff:1f.7"), "");
}

}  // namespace
}  // namespace cairn::probe

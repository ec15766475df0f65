// NodeInfo <-> JSON (schema cairn.probe v1): every field survives a round trip, and bad
// documents fail with one line naming the file and the field.
#include <gtest/gtest.h>

#include "probe/gpu_facts.h"
#include "probe/hwloc_xml.h"
#include "probe/node_json.h"
#include "probe_test_util.h"

namespace cairn::probe {
namespace {

NodeInfo rich_node(const std::string& hwloc) {
  auto n = read_hwloc_xml_file(hwloc + "/32em64t-2n8c2t-pci-normalio.xml");
  n.notes.push_back("NVML not found");
  auto& g = n.gpus[2];
  g.cuda_index = 0;
  g.uuid = "GPU-1234";
  g.cc_major = 3;
  g.cc_minor = 5;
  g.pcie = {8, 8, 8, 16, 7.9};
  g.nvlinks_supported = 4;
  g.nvlinks_active = 3;
  g.nvlink_peers.push_back({"0000:85:00.0", "gpu", 3, 75});
  g.ecc_enabled = true;
  g.ecc_corrected = 5;
  g.ecc_uncorrected = 1;
  g.retired_pages = 2;
  g.retirement_pending = true;
  g.throttle_reasons = {"hw_slowdown"};
  g.memory_numa_node = 3;
  auto& p = n.nics[2].ports[0];
  p.phys_state = "LinkUp";
  p.rate_gbit_s = 100;
  p.speed = "EDR";
  p.width = 4;
  p.active_mtu = 4096;
  p.counters = {{"link_downed", 3}, {"symbol_error", 18446744073709551615ull}};
  n.numa[1].subtype = "GPUMemory";
  n.numa[1].gpu_bus_id = "0000:84:00.0";
  return n;
}

TEST(NodeJson, RoundTripKeepsEveryField) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = rich_node(hwloc);
  auto doc = node_to_json(n);
  EXPECT_EQ(doc["schema"], "cairn.probe");
  EXPECT_EQ(doc["schema_version"], 1);
  auto back = node_from_json(Json::parse(doc.dump()), "round.json");
  EXPECT_EQ(node_to_json(back), doc);
  EXPECT_EQ(back.gpus[2].nvlink_peers[0].links, 3);
  EXPECT_EQ(back.nics[2].ports[0].counters.at("symbol_error"), 18446744073709551615ull);
  EXPECT_EQ(back.pci.size(), n.pci.size());
  EXPECT_EQ(back.pci[3].kind, n.pci[3].kind);
  EXPECT_EQ(back.numa[0].distances, (std::vector<std::uint64_t>{10, 20}));
}

TEST(NodeJson, EveryHwlocFileRoundTrips) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  for (const char* file : {"nvidiaDGX2.xml", "24em64t-2n6c2t-pci.xml", "96em64t-4n4d3ca2co-pci.xml", "16intel64-manyVFs.xml"}) {
    auto doc = node_to_json(read_hwloc_xml_file(hwloc + "/" + file));
    EXPECT_EQ(node_to_json(node_from_json(doc, file)), doc) << file;
  }
}

TEST(NodeJson, BadDocumentsNameTheFileAndField) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto doc = node_to_json(rich_node(hwloc));
  auto err = [](const Json& d) { return test::error_of([&] { node_from_json(d, "probe.json"); }); };
  Json v2 = doc;
  v2["schema_version"] = 2;
  EXPECT_NE(err(v2).find("schema_version 2 is not supported"), std::string::npos);
  Json bad_type = doc;
  bad_type["gpus"][0]["memory_bytes"] = "lots";
  auto msg = err(bad_type);
  EXPECT_NE(msg.find("probe.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("memory_bytes"), std::string::npos) << msg;
  Json bad_kind = doc;
  bad_kind["pci"][0]["kind"] = "toaster";
  EXPECT_NE(err(bad_kind).find("unknown PCI device kind \"toaster\""), std::string::npos);
  Json not_array = doc;
  not_array["nics"] = 5;
  EXPECT_NE(err(not_array).find("\"nics\" must be an array"), std::string::npos);
  EXPECT_NE(err(Json::array()).find("probe.json"), std::string::npos);
}

TEST(GpuFacts, MergeJoinsByBusIdAndOrdersByCuda) {
  CAIRN_SHARED_TOPOLOGY_OR_SKIP(hwloc, "hwloc");
  auto n = read_hwloc_xml_file(hwloc + "/32em64t-2n8c2t-pci-normalio.xml");
  GpuFacts f;
  f.cuda_available = f.nvml_available = true;
  GpuInfo c0, c1, v;
  c0.cuda_index = 0;
  c0.bus_id = "0000:84:00.0";
  c0.name = "Tesla K40m";
  c0.cc_major = 3;
  c1.cuda_index = 1;
  c1.bus_id = "0000:aa:00.0";  // hwloc did not see it (hidden PCIe tree)
  c1.name = "Tesla K40m";
  v.bus_id = "0000:84:00.0";
  v.name = "Tesla K40m";
  v.uuid = "GPU-abc";
  v.nvlinks_supported = 2;
  v.ecc_enabled = true;
  v.pcie = {8, 16, 8, 16};
  f.cuda = {c0, c1};
  f.nvml = {v};
  auto doc = gpu_facts_to_json(f);
  auto back = gpu_facts_from_json(Json::parse(doc.dump()), "gpus.json");
  merge_gpu_facts(n, back);
  ASSERT_EQ(n.gpus.size(), 4u);
  EXPECT_EQ(n.gpus[0].bus_id, "0000:84:00.0");
  EXPECT_EQ(n.gpus[0].source, "cuda+nvml");
  EXPECT_EQ(n.gpus[0].uuid, "GPU-abc");
  EXPECT_EQ(n.gpus[0].numa_node, 1);  // kept from hwloc
  EXPECT_EQ(n.gpus[0].nvlinks_supported, 2);
  EXPECT_EQ(n.gpus[0].pcie.width, 16);
  EXPECT_EQ(n.gpus[1].bus_id, "0000:aa:00.0");
  EXPECT_EQ(n.gpus[1].numa_node, -1);
  EXPECT_EQ(n.gpus[2].cuda_index, -1);  // M2075s: not visible to CUDA, after the CUDA GPUs
  EXPECT_EQ(n.gpus[2].source, "hwloc");
  EXPECT_NE(test::error_of([] { gpu_facts_from_json(Json::parse(R"({"schema":"cairn.probe-gpus","schema_version":1})"), "g.json"); })
                .find("missing field \"cuda_available\""),
            std::string::npos);
}

}  // namespace
}  // namespace cairn::probe

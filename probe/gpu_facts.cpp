#include "probe/gpu_facts.h"

#include <algorithm>

#include "common/error.h"
#include "probe/cuda_devices.h"
#include "probe/node_json.h"
#include "probe/nvml_loader.h"

namespace cairn::probe {
namespace {

GpuInfo& gpu_for(NodeInfo& node, const std::string& bus_id) {
  for (auto& g : node.gpus)
    if (!bus_id.empty() && g.bus_id == bus_id) return g;
  GpuInfo g;
  g.bus_id = bus_id;
  if (const auto* pci = node.find_pci(bus_id)) {
    g.numa_node = pci->numa_node;
    g.cpuset = pci->cpuset;
    g.pcie = pci->link;
  }
  node.gpus.push_back(std::move(g));
  return node.gpus.back();
}

void add_source(GpuInfo& g, const char* source) {
  if (g.source.empty() || g.source == "hwloc") g.source = source;
  else if (g.source.find(source) == std::string::npos) g.source += std::string("+") + source;
}

}  // namespace

GpuFacts query_gpu_facts() {
  GpuFacts f;
  auto cuda = query_cuda();
  f.cuda_available = cuda.available;
  f.cuda = std::move(cuda.gpus);
  f.notes = std::move(cuda.notes);
  auto nvml = query_nvml();
  f.nvml_available = nvml.available;
  f.nvml = std::move(nvml.gpus);
  f.notes.insert(f.notes.end(), nvml.notes.begin(), nvml.notes.end());
  return f;
}

void merge_gpu_facts(NodeInfo& node, const GpuFacts& facts) {
  for (const auto& c : facts.cuda) {
    auto& g = gpu_for(node, c.bus_id);
    g.cuda_index = c.cuda_index;
    if (!c.name.empty()) g.name = c.name;
    if (c.memory_bytes) g.memory_bytes = c.memory_bytes;
    if (c.cc_major) {
      g.cc_major = c.cc_major;
      g.cc_minor = c.cc_minor;
    }
    add_source(g, "cuda");
  }
  for (const auto& v : facts.nvml) {
    auto& g = gpu_for(node, v.bus_id);
    if (g.name.empty() || g.source == "hwloc") g.name = v.name;
    if (!v.uuid.empty()) g.uuid = v.uuid;
    if (!g.memory_bytes || g.source == "hwloc") g.memory_bytes = v.memory_bytes;
    if (!g.cc_major) {
      g.cc_major = v.cc_major;
      g.cc_minor = v.cc_minor;
    }
    // sysfs (already in g.pcie) is the direct reading; NVML fills in where it was missing.
    if (g.pcie.speed_gt_s == 0) {
      double reported = g.pcie.reported_gb_s;
      g.pcie = v.pcie;
      g.pcie.reported_gb_s = reported;
    }
    g.nvlinks_supported = v.nvlinks_supported;
    g.nvlinks_active = v.nvlinks_active;
    g.nvlink_peers = v.nvlink_peers;  // NVML knows links that are down; hwloc's matrix does not
    g.ecc_enabled = v.ecc_enabled;
    g.ecc_corrected = v.ecc_corrected;
    g.ecc_uncorrected = v.ecc_uncorrected;
    g.retired_pages = v.retired_pages;
    g.retirement_pending = v.retirement_pending;
    g.throttle_reasons = v.throttle_reasons;
    add_source(g, "nvml");
  }
  if (facts.cuda_available)
    std::stable_sort(node.gpus.begin(), node.gpus.end(), [](const GpuInfo& a, const GpuInfo& b) {
      // CUDA ordinals first, in order; GPUs CUDA did not list (hidden by
      // CUDA_VISIBLE_DEVICES) after them.
      if ((a.cuda_index < 0) != (b.cuda_index < 0)) return a.cuda_index >= 0;
      return a.cuda_index < b.cuda_index;
    });
  bool nvidia = !node.gpus.empty();
  for (const auto& note : facts.notes)
    if (nvidia || note.find("NVML") != std::string::npos) node.notes.push_back(note);
}

Json gpu_facts_to_json(const GpuFacts& f) {
  Json cuda = Json::array(), nvml = Json::array();
  for (const auto& g : f.cuda) cuda.push_back(gpu_to_json(g));
  for (const auto& g : f.nvml) nvml.push_back(gpu_to_json(g));
  return with_schema({{"cuda_available", f.cuda_available}, {"nvml_available", f.nvml_available},
                      {"cuda", cuda}, {"nvml", nvml}, {"notes", f.notes}},
                     kGpuFactsSchema, 1);
}

GpuFacts gpu_facts_from_json(const Json& doc, const std::string& source) {
  require_schema(doc, kGpuFactsSchema, 1, source);
  GpuFacts f;
  f.cuda_available = json_field<bool>(doc, "cuda_available", source);
  f.nvml_available = json_field<bool>(doc, "nvml_available", source);
  for (const char* key : {"cuda", "nvml"}) {
    auto list = json_field<Json>(doc, key, source);
    if (!list.is_array()) fail(source, std::string("field \"") + key + "\" must be an array");
    for (const auto& g : list) (std::string(key) == "cuda" ? f.cuda : f.nvml).push_back(gpu_from_json(g, source + ": " + key));
  }
  f.notes = json_field<std::vector<std::string>>(doc, "notes", source);
  return f;
}

}  // namespace cairn::probe

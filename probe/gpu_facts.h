// GPU facts from CUDA and NVML, kept as each library reported them so that a capture can
// carry them (gpus.json) and be merged into an hwloc view elsewhere exactly as on the node.
#pragma once

#include <string>
#include <vector>

#include "common/json_io.h"
#include "probe/node.h"

namespace cairn::probe {

struct GpuFacts {
  bool cuda_available = false;
  bool nvml_available = false;
  std::vector<GpuInfo> cuda;  // source "cuda"
  std::vector<GpuInfo> nvml;  // source "nvml"
  std::vector<std::string> notes;
};

GpuFacts query_gpu_facts();  // live: CUDA runtime (when built with it) and NVML

// Joins the facts to node.gpus by PCI bus id (GPUs hwloc did not see are added), then
// orders the GPUs by CUDA ordinal where CUDA was available.
void merge_gpu_facts(NodeInfo& node, const GpuFacts& facts);

inline constexpr const char* kGpuFactsSchema = "cairn.probe-gpus";
Json gpu_facts_to_json(const GpuFacts& facts);
GpuFacts gpu_facts_from_json(const Json& doc, const std::string& source);

}  // namespace cairn::probe

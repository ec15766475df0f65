// NVML, loaded at run time with dlopen("libnvidia-ml.so.1") so that a node without the
// NVIDIA driver still runs the probe (as NCCL's nvmlwrap does). Declares only the types
// and functions the probe calls, with the signatures of the official nvml.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "probe/node.h"

namespace cairn::probe {

class NvmlLibrary;

// What NVML says about each GPU: bus id, name, UUID, memory, compute capability, PCIe
// generation/width now and at most, NVLink links and peers, ECC, retired pages or
// remapped rows, and throttle reasons. Empty with a note when NVML is not there.
struct NvmlReport {
  bool available = false;
  std::vector<GpuInfo> gpus;  // source "nvml"
  std::vector<std::string> notes;
};

NvmlReport query_nvml();

// "gpu_idle", "sw_power_cap", "hw_slowdown", ... for a clocks-event (throttle) bit mask.
std::vector<std::string> throttle_reason_names(unsigned long long mask);

// NVML's bus id "00000000:3B:00.0" in the probe's form "0000:3b:00.0".
std::string normalize_bus_id(const std::string& nvml_bus_id);

// One NVLink link's bandwidth, one direction, 10^9 B/s, by GPU generation (compute
// capability): NVLink 1 (P100) 20, NVLink 2-4 (V100, A100, H100) 25, NVLink 5 (B200) 50.
double nvlink_gb_s_per_link(int cc_major, int cc_minor);

}  // namespace cairn::probe

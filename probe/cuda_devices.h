// CUDA's view of the GPUs: ordinal, name, memory, compute capability and PCI bus id (the
// key that joins it to hwloc's PCI device and NVML). Built only where CUDA is
// (CAIRN_HAVE_CUDA); elsewhere it reports that CUDA is not available.
#pragma once

#include <string>
#include <vector>

#include "probe/node.h"

namespace cairn::probe {

struct CudaReport {
  bool available = false;
  std::vector<GpuInfo> gpus;  // cuda_index, bus_id, name, memory_bytes, cc; source "cuda"
  std::vector<std::string> notes;
};

CudaReport query_cuda();

// CUDA devices this process sees (cudaGetDeviceCount): 0 without a driver, without a
// device, or in a build without CUDA (the failure is cleared, not left for the next CUDA
// call to report). The one count every module asks.
int visible_cuda_device_count();

}  // namespace cairn::probe

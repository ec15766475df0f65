#include "probe/cuda_devices.h"

#include "probe/nvml_loader.h"

#ifdef CAIRN_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace cairn::probe {

#ifdef CAIRN_HAVE_CUDA

CudaReport query_cuda() {
  CudaReport report;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaErrorNoDevice) {
    report.available = true;  // CUDA works; there is simply no GPU
    return report;
  }
  if (err != cudaSuccess) {
    report.notes.push_back(std::string("CUDA unavailable (") + cudaGetErrorName(err) +
                           "): GPU ordinals and compute capability come from NVML only");
    return report;
  }
  report.available = true;
  for (int i = 0; i < count; ++i) {
    GpuInfo g;
    g.cuda_index = i;
    g.source = "cuda";
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) {
      g.name = prop.name;
      g.memory_bytes = prop.totalGlobalMem;
      g.cc_major = prop.major;
      g.cc_minor = prop.minor;
    }
    char bus[32] = {};
    if (cudaDeviceGetPCIBusId(bus, static_cast<int>(sizeof bus), i) == cudaSuccess) g.bus_id = normalize_bus_id(bus);
    report.gpus.push_back(std::move(g));
  }
  return report;
}

int visible_cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) == cudaSuccess) return count;
  (void)cudaGetLastError();  // no driver or no device: not an error the next CUDA call should see
  return 0;
}

#else

CudaReport query_cuda() {
  CudaReport report;
  report.notes.push_back("cairn was built without CUDA: GPUs are listed in bus order, without CUDA ordinals");
  return report;
}

int visible_cuda_device_count() { return 0; }

#endif

}  // namespace cairn::probe

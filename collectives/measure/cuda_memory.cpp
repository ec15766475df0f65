// Device buffers and CUDA-event timing for the NCCL backend's benchmark (built only with
// CAIRN_CUDA).
#include <cuda_runtime.h>

#include <fmt/format.h>

#include "collectives/measure/memory.h"
#include "common/error.h"
#include "probe/cuda_devices.h"

namespace cairn::coll::bench {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(fmt::format("{} failed: {}", what, cudaGetErrorString(e)));
}

class EventTimer final : public Timer {
 public:
  explicit EventTimer(cudaStream_t stream) : stream_(stream) {
    check(cudaEventCreate(&start_), "cudaEventCreate");
    check(cudaEventCreate(&stop_), "cudaEventCreate");
  }
  ~EventTimer() override {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  void start() override { check(cudaEventRecord(start_, stream_), "cudaEventRecord"); }
  void stop() override { check(cudaEventRecord(stop_, stream_), "cudaEventRecord"); }
  void stop_after(std::vector<Request>& pending) override {
    stop();  // stream order puts it behind every pending operation
    for (Request& r : pending) r.wait();
  }
  double seconds() override {
    check(cudaEventSynchronize(stop_), "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime");
    return ms * 1e-3;
  }

 private:
  cudaStream_t stream_;
  cudaEvent_t start_{}, stop_{};
};

class CudaMemory final : public Memory {
 public:
  explicit CudaMemory(int device) : device_(device) {
    const int count = probe::visible_cuda_device_count();
    if (count == 0)
      throw Error("no CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES), or use --backend ucx");
    if (device < 0 || device >= count)
      throw Error(fmt::format("CUDA device {} does not exist ({} visible); check LOCAL_RANK and CUDA_VISIBLE_DEVICES",
                              device, count));
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    description_ = fmt::format("device {:2d} [{:04x}:{:02x}:{:02x}] {}", device, prop.pciDomainID, prop.pciBusID,
                               prop.pciDeviceID, prop.name);
  }
  ~CudaMemory() override { cudaStreamDestroy(stream_); }

  MemoryKind kind() const override { return MemoryKind::device; }
  std::string describe() const override { return description_; }
  void* allocate(std::size_t bytes) override {
    cudaSetDevice(device_);
    void* p = nullptr;
    if (cudaMalloc(&p, bytes == 0 ? 1 : bytes) != cudaSuccess)
      throw Error(fmt::format("could not allocate {} bytes on CUDA device {}; lower -e", bytes, device_));
    return p;
  }
  void release(void* p) noexcept override { cudaFree(p); }
  void upload(void* dst, const void* src, std::size_t bytes) override {
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_), "cudaMemcpy to device");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  }
  void download(void* dst, const void* src, std::size_t bytes) override {
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_), "cudaMemcpy from device");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  }
  Stream stream() override { return stream_; }
  std::unique_ptr<Timer> make_timer() override { return std::make_unique<EventTimer>(stream_); }

 private:
  int device_;
  cudaStream_t stream_{};
  std::string description_;
};

}  // namespace

std::unique_ptr<Memory> make_cuda_memory(int device) { return std::make_unique<CudaMemory>(device); }


}  // namespace cairn::coll::bench

// Temporary device memory in stream order (cudaMallocAsync / cudaFreeAsync): kernels
// queued after the allocation may use it, and it returns to the pool once they are done.
// Ops use it for partial sums, so callers never pass workspace.
#pragma once

#include <cstdint>
#include <string>

#include <cuda_runtime.h>

#include "common/error.h"
#include "train/cuda/check.h"

namespace cairn::train::cuda::detail {

template <typename T>
class Scratch {
 public:
  Scratch(std::int64_t count, cudaStream_t stream) : stream_(stream) {
    const cudaError_t status =
        cudaMallocAsync(reinterpret_cast<void**>(&ptr_), static_cast<std::size_t>(count) * sizeof(T), stream);
    if (status != cudaSuccess) {
      (void)cudaGetLastError();
      throw Error("GPU memory: cannot allocate " + std::to_string(count * static_cast<std::int64_t>(sizeof(T))) +
                  " bytes of scratch (" + cudaGetErrorString(status) + ")");
    }
  }
  ~Scratch() { (void)cudaFreeAsync(ptr_, stream_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* get() { return ptr_; }

 private:
  T* ptr_ = nullptr;
  cudaStream_t stream_;
};

}  // namespace cairn::train::cuda::detail

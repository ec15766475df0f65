// An owned CUDA stream. Blocking (the default flag): work on it is ordered with the
// legacy default stream, which DeviceBuffer's copies use. Destruction waits for the
// stream's work first.
#pragma once

#include <cuda_runtime.h>

#include "train/cuda/check.h"

namespace cairn::train::cuda {

class Stream {
 public:
  Stream() { CAIRN_CUDA_CHECK(cudaStreamCreate(&stream_)); }
  ~Stream() {
    (void)cudaStreamSynchronize(stream_);
    (void)cudaStreamDestroy(stream_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const { CAIRN_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
};

// Lets the stream-ordered allocator (the ops' scratch) keep freed memory cached instead
// of returning it to the driver at every synchronisation.
void keep_scratch_pool_cached();

}  // namespace cairn::train::cuda

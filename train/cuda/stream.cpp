#include "train/cuda/stream.h"

#include <cstdint>
#include <limits>

namespace cairn::train::cuda {

void keep_scratch_pool_cached() {
  int device = 0;
  CAIRN_CUDA_CHECK(cudaGetDevice(&device));
  cudaMemPool_t pool = nullptr;
  CAIRN_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  std::uint64_t keep = std::numeric_limits<std::uint64_t>::max();
  CAIRN_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
}

}  // namespace cairn::train::cuda

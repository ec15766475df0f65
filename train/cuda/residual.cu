#include "train/cuda/residual.h"

#include "train/cuda/check.h"
#include "train/cuda/detail/kernel_util.cuh"

namespace cairn::train::cuda {
namespace {

__global__ void add_kernel(const float* x, const float* r, std::int64_t count, float* y) {
  for (std::int64_t e = detail::global_thread(); e < count; e += detail::grid_threads())
    y[e] = x[e] + r[e];
}

}  // namespace

void residual_add_forward(const float* x, const float* r, std::int64_t count, float* y,
                          cudaStream_t stream) {
  if (count == 0) return;
  add_kernel<<<detail::elementwise_blocks(count, 256), 256, 0, stream>>>(x, r, count, y);
  check_launch("residual add_kernel");
}

void residual_add_backward(const float* dbranch, std::int64_t count, float* dstream,
                           cudaStream_t stream) {
  if (count == 0) return;
  add_kernel<<<detail::elementwise_blocks(count, 256), 256, 0, stream>>>(dstream, dbranch, count, dstream);
  check_launch("residual add_kernel");
}

}  // namespace cairn::train::cuda

#include "train/cuda/grad_clip.h"

#include <cmath>

#include "train/cuda/check.h"
#include "train/cuda/detail/kernel_util.cuh"
#include "train/cuda/detail/scratch.h"

namespace cairn::train::cuda {
namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 1024;  // the second pass is one block of this many threads

__global__ void sum_squares_kernel(const float* x, std::int64_t count, double* partial) {
  __shared__ double scratch[32];
  double s = 0;
  for (std::int64_t i = detail::global_thread(); i < count; i += detail::grid_threads()) {
    const double v = x[i];
    s += v * v;
  }
  s = detail::block_sum(s, scratch);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void sum_partials_kernel(const double* partial, unsigned blocks, double* out) {
  __shared__ double scratch[32];
  double s = threadIdx.x < blocks ? partial[threadIdx.x] : 0.0;
  s = detail::block_sum(s, scratch);
  if (threadIdx.x == 0) *out = s;
}

__global__ void scale_kernel(float* x, std::int64_t count, float scale) {
  for (std::int64_t i = detail::global_thread(); i < count; i += detail::grid_threads()) x[i] *= scale;
}

}  // namespace

double global_norm(const float* grads, std::int64_t count, cudaStream_t stream) {
  if (count == 0) return 0.0;
  unsigned blocks = detail::elementwise_blocks(count, kThreads);
  if (blocks > kMaxBlocks) blocks = kMaxBlocks;
  detail::Scratch<double> partial(static_cast<std::int64_t>(blocks) + 1, stream);
  sum_squares_kernel<<<blocks, kThreads, 0, stream>>>(grads, count, partial.get());
  check_launch("sum_squares_kernel");
  sum_partials_kernel<<<1, kMaxBlocks, 0, stream>>>(partial.get(), blocks, partial.get() + blocks);
  check_launch("sum_partials_kernel");
  double sum = 0;
  CAIRN_CUDA_CHECK(cudaMemcpyAsync(&sum, partial.get() + blocks, sizeof(sum), cudaMemcpyDeviceToHost, stream));
  CAIRN_CUDA_CHECK(cudaStreamSynchronize(stream));
  return std::sqrt(sum);
}

double clip_grad_norm(float* grads, std::int64_t count, double max_norm, cudaStream_t stream) {
  const double norm = global_norm(grads, count, stream);
  if (max_norm > 0 && norm > max_norm) {
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));
    scale_kernel<<<detail::elementwise_blocks(count, kThreads), kThreads, 0, stream>>>(grads, count, scale);
    check_launch("scale_kernel");
  }
  return norm;
}

}  // namespace cairn::train::cuda

#include "train/cuda/cross_entropy.h"

#include "train/cuda/check.h"
#include "train/cuda/detail/kernel_util.cuh"

namespace cairn::train::cuda {
namespace {

constexpr int kThreads = 256;

__device__ float block_max(float v, float* scratch) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = detail::warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : -INFINITY;
  return detail::warp_max(v);
}

__global__ void cross_entropy_forward_kernel(const bf16* logits, const std::int32_t* targets,
                                             std::int64_t vocab, float* lse, float* row_loss) {
  __shared__ float scratch[32];
  const std::int64_t i = blockIdx.x;
  const bf16* z = logits + i * vocab;
  float mx = -INFINITY;
  for (std::int64_t v = threadIdx.x; v < vocab; v += blockDim.x) mx = fmaxf(mx, __bfloat162float(z[v]));
  mx = block_max(mx, scratch);
  float sum = 0.f;
  for (std::int64_t v = threadIdx.x; v < vocab; v += blockDim.x) sum += expf(__bfloat162float(z[v]) - mx);
  sum = detail::block_sum(sum, scratch);
  if (threadIdx.x == 0) {
    const float l = mx + logf(sum);
    lse[i] = l;
    const std::int32_t t = targets[i];
    row_loss[i] = t >= 0 ? l - __bfloat162float(z[t]) : 0.f;
  }
}

// One block: the mean over counted rows, summed in double.
__global__ void mean_loss_kernel(const float* row_loss, std::int64_t n, std::int64_t counted,
                                 float* loss) {
  __shared__ double scratch[32];
  double s = 0;
  for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) s += row_loss[i];
  s = detail::block_sum(s, scratch);
  if (threadIdx.x == 0) *loss = counted == 0 ? 0.f : static_cast<float>(s / static_cast<double>(counted));
}

__global__ void cross_entropy_backward_kernel(const bf16* logits, const std::int32_t* targets,
                                              const float* lse, std::int64_t vocab, float scale,
                                              bf16* dlogits) {
  const std::int64_t i = blockIdx.x;
  const std::int32_t t = targets[i];
  const bf16* z = logits + i * vocab;
  bf16* dz = dlogits + i * vocab;
  const float l = lse[i];
  for (std::int64_t v = threadIdx.x; v < vocab; v += blockDim.x) {
    float g = 0.f;
    if (t >= 0) {
      g = scale * expf(__bfloat162float(z[v]) - l);
      if (v == t) g -= scale;
    }
    dz[v] = __float2bfloat16_rn(g);  // the same thread read z[v] above (in place is safe)
  }
}

}  // namespace

void cross_entropy_forward(const bf16* logits, const std::int32_t* targets, std::int64_t n,
                           std::int64_t vocab, std::int64_t counted, float* lse,
                           float* row_loss, float* loss, cudaStream_t stream) {
  if (n > 0) {
    cross_entropy_forward_kernel<<<static_cast<unsigned>(n), kThreads, 0, stream>>>(
        logits, targets, vocab, lse, row_loss);
    check_launch("cross_entropy_forward_kernel");
  }
  mean_loss_kernel<<<1, 1024, 0, stream>>>(row_loss, n, counted, loss);
  check_launch("mean_loss_kernel");
}

void cross_entropy_backward(const bf16* logits, const std::int32_t* targets, const float* lse,
                            std::int64_t n, std::int64_t vocab, std::int64_t counted,
                            float dloss, bf16* dlogits, cudaStream_t stream) {
  if (n == 0) return;
  const float scale = counted == 0 ? 0.f : dloss / static_cast<float>(counted);
  cross_entropy_backward_kernel<<<static_cast<unsigned>(n), kThreads, 0, stream>>>(
      logits, targets, lse, vocab, scale, dlogits);
  check_launch("cross_entropy_backward_kernel");
}

}  // namespace cairn::train::cuda

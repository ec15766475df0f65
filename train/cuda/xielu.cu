#include "train/cuda/xielu.h"

#include "train/cpu/xielu.h"
#include "train/cuda/check.h"
#include "train/cuda/detail/kernel_util.cuh"
#include "train/cuda/detail/scratch.h"

namespace cairn::train::cuda {
namespace {

constexpr int kThreads = 256;
constexpr float kBeta = static_cast<float>(cpu::kXieluBeta);
constexpr float kEps = static_cast<float>(cpu::kXieluEps);

// As the CPU: softplus in double, finite for large |a|, then rounded to float.
__device__ double softplus(double a) { return a > 0 ? a + log1p(exp(-a)) : log1p(exp(a)); }
__device__ double sigmoid(double a) { return 1.0 / (1.0 + exp(-a)); }

__global__ void xielu_forward_kernel(const bf16* x, std::int64_t count, const float* a_p,
                                     const float* a_n, bf16* y) {
  const float alpha_p = static_cast<float>(softplus(*a_p));
  const float alpha_n = static_cast<float>(cpu::kXieluBeta + softplus(*a_n));
  for (std::int64_t e = detail::global_thread(); e < count; e += detail::grid_threads()) {
    const float v = __bfloat162float(x[e]);
    const float out = v > 0.f ? alpha_p * v * v + kBeta * v
                              : alpha_n * (expm1f(fminf(v, kEps)) - v) + kBeta * v;
    y[e] = __float2bfloat16_rn(out);
  }
}

// partial[2b], partial[2b+1]: block b's sums of dL/dalpha_p and dL/dalpha_n.
__global__ void xielu_backward_kernel(const bf16* dy, const bf16* x, std::int64_t count,
                                      const float* a_p, const float* a_n, bf16* dx,
                                      double* partial) {
  __shared__ double scratch[32];
  const float alpha_p = static_cast<float>(softplus(*a_p));
  const float alpha_n = static_cast<float>(cpu::kXieluBeta + softplus(*a_n));
  double sum_p = 0, sum_n = 0;
  for (std::int64_t e = detail::global_thread(); e < count; e += detail::grid_threads()) {
    const float v = __bfloat162float(x[e]), g = __bfloat162float(dy[e]);
    float d;
    if (v > 0.f) {
      sum_p += static_cast<double>(g) * static_cast<double>(v) * static_cast<double>(v);
      d = g * (2.f * alpha_p * v + kBeta);
    } else {
      const float em = expm1f(fminf(v, kEps));
      sum_n += static_cast<double>(g) * static_cast<double>(em - v);
      // min(x, eps) passes the gradient only for x < eps.
      d = g * (v < kEps ? alpha_n * em + kBeta : kBeta - alpha_n);
    }
    dx[e] = __float2bfloat16_rn(d);
  }
  sum_p = detail::block_sum(sum_p, scratch);
  sum_n = detail::block_sum(sum_n, scratch);
  if (threadIdx.x == 0) {
    partial[2 * blockIdx.x] = sum_p;
    partial[2 * blockIdx.x + 1] = sum_n;
  }
}

__global__ void xielu_scalar_grad_kernel(const double* partial, unsigned blocks,
                                         const float* a_p, const float* a_n, float* da_p,
                                         float* da_n) {
  double sum_p = 0, sum_n = 0;
  for (unsigned b = 0; b < blocks; ++b) {
    sum_p += partial[2 * b];
    sum_n += partial[2 * b + 1];
  }
  *da_p += static_cast<float>(sum_p * sigmoid(*a_p));  // dalpha/da = sigmoid(a)
  *da_n += static_cast<float>(sum_n * sigmoid(*a_n));
}

}  // namespace

void xielu_forward(const bf16* x, std::int64_t count, const float* a_p, const float* a_n,
                   bf16* y, cudaStream_t stream) {
  if (count == 0) return;
  xielu_forward_kernel<<<detail::elementwise_blocks(count, kThreads), kThreads, 0, stream>>>(
      x, count, a_p, a_n, y);
  check_launch("xielu_forward_kernel");
}

void xielu_backward(const bf16* dy, const bf16* x, std::int64_t count, const float* a_p,
                    const float* a_n, bf16* dx, float* da_p, float* da_n, cudaStream_t stream) {
  if (count == 0) return;
  // At most 4096 blocks: enough to fill any GPU, few partials to add up.
  unsigned blocks = detail::elementwise_blocks(count, kThreads);
  if (blocks > 4096) blocks = 4096;
  detail::Scratch<double> partial(2 * static_cast<std::int64_t>(blocks), stream);
  xielu_backward_kernel<<<blocks, kThreads, 0, stream>>>(dy, x, count, a_p, a_n, dx, partial.get());
  check_launch("xielu_backward_kernel");
  xielu_scalar_grad_kernel<<<1, 1, 0, stream>>>(partial.get(), blocks, a_p, a_n, da_p, da_n);
  check_launch("xielu_scalar_grad_kernel");
}

}  // namespace cairn::train::cuda

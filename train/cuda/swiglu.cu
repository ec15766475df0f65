#include "train/cuda/swiglu.h"

#include "train/cuda/check.h"
#include "train/cuda/detail/kernel_util.cuh"

namespace cairn::train::cuda {
namespace {

__device__ __forceinline__ float sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

__global__ void swiglu_forward_kernel(const bf16* gu, std::int64_t n, std::int64_t ffn, bf16* out) {
  for (std::int64_t e = detail::global_thread(); e < n * ffn; e += detail::grid_threads()) {
    const std::int64_t i = e / ffn, j = e % ffn;
    const float g = __bfloat162float(gu[i * 2 * ffn + j]);
    const float u = __bfloat162float(gu[i * 2 * ffn + ffn + j]);
    out[e] = __float2bfloat16_rn(g * sigmoid(g) * u);
  }
}

__global__ void swiglu_backward_kernel(const bf16* dout, const bf16* gu, std::int64_t n,
                                       std::int64_t ffn, bf16* dgu) {
  for (std::int64_t e = detail::global_thread(); e < n * ffn; e += detail::grid_threads()) {
    const std::int64_t i = e / ffn, j = e % ffn;
    const float g = __bfloat162float(gu[i * 2 * ffn + j]);
    const float u = __bfloat162float(gu[i * 2 * ffn + ffn + j]);
    const float d = __bfloat162float(dout[e]);
    const float s = sigmoid(g);
    const float dsilu = s * (1.f + g * (1.f - s));  // silu'(g)
    dgu[i * 2 * ffn + j] = __float2bfloat16_rn(d * u * dsilu);
    dgu[i * 2 * ffn + ffn + j] = __float2bfloat16_rn(d * (g * s));  // dout * silu(g)
  }
}

}  // namespace

void swiglu_forward(const bf16* gu, std::int64_t n, std::int64_t ffn, bf16* out,
                    cudaStream_t stream) {
  if (n * ffn == 0) return;
  swiglu_forward_kernel<<<detail::elementwise_blocks(n * ffn, 256), 256, 0, stream>>>(gu, n, ffn, out);
  check_launch("swiglu_forward_kernel");
}

void swiglu_backward(const bf16* dout, const bf16* gu, std::int64_t n, std::int64_t ffn,
                     bf16* dgu, cudaStream_t stream) {
  if (n * ffn == 0) return;
  swiglu_backward_kernel<<<detail::elementwise_blocks(n * ffn, 256), 256, 0, stream>>>(dout, gu, n, ffn, dgu);
  check_launch("swiglu_backward_kernel");
}

}  // namespace cairn::train::cuda

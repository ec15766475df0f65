#include "train/cuda/rmsnorm.h"

#include "train/cuda/check.h"
#include "train/cuda/detail/kernel_util.cuh"
#include "train/cuda/detail/scratch.h"

namespace cairn::train::cuda {
namespace {

constexpr int kRowsPerBlock = 8;  // one warp per row
constexpr int kColumnThreads = 256;

unsigned row_blocks(std::int64_t n) {
  return static_cast<unsigned>((n + kRowsPerBlock - 1) / kRowsPerBlock);
}

template <typename X>
__global__ void rmsnorm_forward_kernel(const X* x, const float* w, std::int64_t n,
                                       std::int64_t d, float eps, bf16* y, float* rstd) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (i >= n) return;  // the whole warp leaves together
  const X* xi = x + i * d;
  float ss = 0.f;
  for (std::int64_t j = lane; j < d; j += 32) {
    const float v = detail::load_f32(xi + j);
    ss += v * v;
  }
  ss = detail::warp_sum(ss);
  const float r = 1.f / sqrtf(ss / static_cast<float>(d) + eps);
  if (lane == 0) rstd[i] = r;
  bf16* yi = y + i * d;
  for (std::int64_t j = lane; j < d; j += 32) {
    const float v = detail::load_f32(xi + j);  // read before the write at j (y may alias x)
    yi[j] = __float2bfloat16_rn(v * r * w[j]);
  }
}

template <typename X>
__global__ void rmsnorm_backward_kernel(const bf16* dy, const X* x, const float* w,
                                        const float* rstd, std::int64_t n, std::int64_t d,
                                        X* dx) {
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (i >= n) return;
  const bf16* gi = dy + i * d;
  const X* xi = x + i * d;
  const float r = rstd[i];
  float dot = 0.f;  // sum_k (dy_k w_k) x_k
  for (std::int64_t j = lane; j < d; j += 32)
    dot += __bfloat162float(gi[j]) * w[j] * detail::load_f32(xi + j);
  dot = detail::warp_sum(dot);  // every lane has read all of its dy before any write below
  const float c = dot * r * r / static_cast<float>(d);
  X* dxi = dx + i * d;
  for (std::int64_t j = lane; j < d; j += 32) {
    const float g = __bfloat162float(gi[j]) * w[j];
    detail::store_f32(dxi + j, r * (g - detail::load_f32(xi + j) * c));
  }
}

// partial[c, j] = sum over rows i of chunk c of dy_ij x_ij r_i.
template <typename X>
__global__ void gain_grad_partial_kernel(const bf16* dy, const X* x, const float* rstd,
                                         std::int64_t n, std::int64_t d,
                                         std::int64_t rows_per_chunk, float* partial) {
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= d) return;
  const std::int64_t c = blockIdx.y;
  const std::int64_t i0 = c * rows_per_chunk;
  const std::int64_t i1 = i0 + rows_per_chunk < n ? i0 + rows_per_chunk : n;
  float acc = 0.f;
  for (std::int64_t i = i0; i < i1; ++i)
    acc += __bfloat162float(dy[i * d + j]) * detail::load_f32(x + i * d + j) * rstd[i];
  partial[c * d + j] = acc;
}

__global__ void gain_grad_finish_kernel(const float* partial, std::int64_t chunks,
                                        std::int64_t d, float* dw) {
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= d) return;
  float acc = 0.f;
  for (std::int64_t c = 0; c < chunks; ++c) acc += partial[c * d + j];
  dw[j] += acc;
}

}  // namespace

template <typename X>
void rmsnorm_forward(const X* x, const float* w, std::int64_t n, std::int64_t d, float eps,
                     bf16* y, float* rstd, cudaStream_t stream) {
  if (n == 0 || d == 0) return;
  rmsnorm_forward_kernel<X><<<row_blocks(n), 32 * kRowsPerBlock, 0, stream>>>(x, w, n, d, eps, y, rstd);
  check_launch("rmsnorm_forward_kernel");
}

template <typename X>
void rmsnorm_backward(const bf16* dy, const X* x, const float* w, const float* rstd,
                      std::int64_t n, std::int64_t d, X* dx, float* dw, cudaStream_t stream) {
  if (n == 0 || d == 0) return;
  // The gain gradient first: it reads dy, which dx may overwrite.
  std::int64_t rows_per_chunk = 64;
  if ((n + rows_per_chunk - 1) / rows_per_chunk > 16384) rows_per_chunk = (n + 16383) / 16384;
  const std::int64_t chunks = (n + rows_per_chunk - 1) / rows_per_chunk;
  detail::Scratch<float> partial(chunks * d, stream);
  const unsigned col_blocks = static_cast<unsigned>((d + kColumnThreads - 1) / kColumnThreads);
  gain_grad_partial_kernel<X><<<dim3(col_blocks, static_cast<unsigned>(chunks)), kColumnThreads, 0, stream>>>(
      dy, x, rstd, n, d, rows_per_chunk, partial.get());
  check_launch("gain_grad_partial_kernel");
  gain_grad_finish_kernel<<<col_blocks, kColumnThreads, 0, stream>>>(partial.get(), chunks, d, dw);
  check_launch("gain_grad_finish_kernel");
  rmsnorm_backward_kernel<X><<<row_blocks(n), 32 * kRowsPerBlock, 0, stream>>>(dy, x, w, rstd, n, d, dx);
  check_launch("rmsnorm_backward_kernel");
}

template void rmsnorm_forward<float>(const float*, const float*, std::int64_t, std::int64_t,
                                     float, bf16*, float*, cudaStream_t);
template void rmsnorm_forward<bf16>(const bf16*, const float*, std::int64_t, std::int64_t,
                                    float, bf16*, float*, cudaStream_t);
template void rmsnorm_backward<float>(const bf16*, const float*, const float*, const float*,
                                      std::int64_t, std::int64_t, float*, float*, cudaStream_t);
template void rmsnorm_backward<bf16>(const bf16*, const bf16*, const float*, const float*,
                                     std::int64_t, std::int64_t, bf16*, float*, cudaStream_t);

}  // namespace cairn::train::cuda

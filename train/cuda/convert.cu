#include "train/cuda/convert.h"

#include "train/cuda/check.h"
#include "train/cuda/detail/kernel_util.cuh"

namespace cairn::train::cuda {
namespace {

__global__ void to_bf16_kernel(const float* x, std::int64_t count, bf16* y) {
  for (std::int64_t e = detail::global_thread(); e < count; e += detail::grid_threads())
    y[e] = __float2bfloat16_rn(x[e]);
}

// One thread per element of the fused row; merge = false copies qkv out, true copies in.
template <bool merge>
__global__ void qkv_kernel(bf16* qkv, std::int64_t n, std::int64_t qd, std::int64_t kvd,
                           bf16* q, bf16* k, bf16* v) {
  const std::int64_t w = qd + 2 * kvd;
  for (std::int64_t e = detail::global_thread(); e < n * w; e += detail::grid_threads()) {
    const std::int64_t i = e / w, c = e % w;
    bf16* part = c < qd ? q + i * qd + c
                        : (c < qd + kvd ? k + i * kvd + (c - qd) : v + i * kvd + (c - qd - kvd));
    if constexpr (merge)
      qkv[e] = *part;
    else
      *part = qkv[e];
  }
}

}  // namespace

void convert_to_bf16(const float* x, std::int64_t count, bf16* y, cudaStream_t stream) {
  if (count == 0) return;
  to_bf16_kernel<<<detail::elementwise_blocks(count, 256), 256, 0, stream>>>(x, count, y);
  check_launch("to_bf16_kernel");
}

void split_qkv(const bf16* qkv, std::int64_t n, std::int64_t qd, std::int64_t kvd, bf16* q,
               bf16* k, bf16* v, cudaStream_t stream) {
  const std::int64_t count = n * (qd + 2 * kvd);
  if (count == 0) return;
  // The kernel is shared with merge, so it takes qkv as writable; split never writes it.
  qkv_kernel<false><<<detail::elementwise_blocks(count, 256), 256, 0, stream>>>(
      const_cast<bf16*>(qkv), n, qd, kvd, q, k, v);
  check_launch("qkv_kernel<split>");
}

void merge_qkv(const bf16* q, const bf16* k, const bf16* v, std::int64_t n, std::int64_t qd,
               std::int64_t kvd, bf16* qkv, cudaStream_t stream) {
  const std::int64_t count = n * (qd + 2 * kvd);
  if (count == 0) return;
  // Likewise merge never writes q, k, v.
  qkv_kernel<true><<<detail::elementwise_blocks(count, 256), 256, 0, stream>>>(
      qkv, n, qd, kvd, const_cast<bf16*>(q), const_cast<bf16*>(k), const_cast<bf16*>(v));
  check_launch("qkv_kernel<merge>");
}

}  // namespace cairn::train::cuda

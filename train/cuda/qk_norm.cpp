#include "train/cuda/qk_norm.h"

#include "train/cuda/rmsnorm.h"

namespace cairn::train::cuda {

void qk_norm_forward(const bf16* x, const float* w, std::int64_t n, std::int64_t heads,
                     std::int64_t head_dim, float eps, bf16* y, float* rstd,
                     cudaStream_t stream) {
  rmsnorm_forward<bf16>(x, w, n * heads, head_dim, eps, y, rstd, stream);
}

void qk_norm_backward(const bf16* dy, const bf16* x, const float* w, const float* rstd,
                      std::int64_t n, std::int64_t heads, std::int64_t head_dim, bf16* dx,
                      float* dw, cudaStream_t stream) {
  rmsnorm_backward<bf16>(dy, x, w, rstd, n * heads, head_dim, dx, dw, stream);
}

}  // namespace cairn::train::cuda

#include "train/cuda/linear.h"

namespace cairn::train::cuda {

void linear_forward(Blas& blas, const bf16* x, const bf16* W, std::int64_t n, std::int64_t in,
                    std::int64_t out, void* y, OutType y_type, cudaStream_t stream) {
  blas.gemm_nt(x, W, n, out, in, y, y_type, stream);  // y[n, out] = x[n, in] W[out, in]^T
}

void linear_backward(Blas& blas, const bf16* dy, const bf16* x, const bf16* W, std::int64_t n,
                     std::int64_t in, std::int64_t out, bf16* dx, float* dW,
                     cudaStream_t stream) {
  if (dx) blas.gemm_nn(dy, W, n, in, out, dx, OutType::bfloat16, stream);  // dx[n, in] = dy W
  blas.gemm_tn_acc(dy, x, out, in, n, dW, stream);                      // dW[out, in] += dy^T x
}

}  // namespace cairn::train::cuda

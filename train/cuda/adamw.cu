#include "train/cuda/adamw.h"

#include <cmath>

#include "train/cuda/check.h"
#include "train/cuda/detail/kernel_util.cuh"

namespace cairn::train::cuda {
namespace {

struct Constants {
  float b1, b2, one_minus_b1, one_minus_b2, step_size, inv_sqrt_bc2, eps, decay;
};

__global__ void adamw_kernel(float* params, const float* grads, float* m, float* v,
                             std::int64_t count, Constants c, bf16* params_bf16) {
  for (std::int64_t i = detail::global_thread(); i < count; i += detail::grid_threads()) {
    const float g = grads[i];
    const float mi = __fadd_rn(__fmul_rn(c.b1, m[i]), __fmul_rn(c.one_minus_b1, g));
    const float vi = __fadd_rn(__fmul_rn(c.b2, v[i]), __fmul_rn(__fmul_rn(c.one_minus_b2, g), g));
    m[i] = mi;
    v[i] = vi;
    // lr m_hat / (sqrt(v_hat) + eps) = (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps)
    const float denom = __fadd_rn(__fmul_rn(__fsqrt_rn(vi), c.inv_sqrt_bc2), c.eps);
    const float p = params[i];
    const float updated =
        __fsub_rn(__fsub_rn(p, __fmul_rn(c.decay, p)), __fdiv_rn(__fmul_rn(c.step_size, mi), denom));
    params[i] = updated;
    params_bf16[i] = __float2bfloat16_rn(updated);
  }
}

}  // namespace

void adamw_update(float* params, const float* grads, float* m, float* v, std::int64_t count,
                  const AdamWHyper& h, std::int64_t step, double weight_decay,
                  bf16* params_bf16, cudaStream_t stream) {
  if (count == 0) return;
  // The constants exactly as train/optim/adamw.cpp rounds them.
  const double bc1 = 1.0 - std::pow(h.beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(h.beta2, static_cast<double>(step));
  Constants c{};
  c.b1 = static_cast<float>(h.beta1);
  c.b2 = static_cast<float>(h.beta2);
  c.one_minus_b1 = 1.0f - c.b1;
  c.one_minus_b2 = 1.0f - c.b2;
  c.step_size = static_cast<float>(h.lr / bc1);
  c.inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  c.eps = static_cast<float>(h.eps);
  c.decay = static_cast<float>(h.lr * weight_decay);
  adamw_kernel<<<detail::elementwise_blocks(count, 256), 256, 0, stream>>>(params, grads, m, v,
                                                                           count, c, params_bf16);
  check_launch("adamw_kernel");
}

void adamw_step(const ParameterLayout& layout, float* params, const float* grads, float* m,
                float* v, const AdamWHyper& h, std::int64_t step, bf16* params_bf16,
                cudaStream_t stream) {
  for (const auto& e : layout.entries())
    adamw_update(params + e.offset, grads + e.offset, m + e.offset, v + e.offset, e.numel(), h,
                 step, e.weight_decay ? h.weight_decay : 0.0, params_bf16 + e.offset, stream);
}

}  // namespace cairn::train::cuda

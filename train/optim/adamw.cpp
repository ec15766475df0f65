#include "train/optim/adamw.h"

#include <cmath>

namespace cairn::train {

void adamw_update(float* params, const float* grads, float* m, float* v, std::int64_t count,
                  const AdamWHyper& h, std::int64_t step, double weight_decay) {
  const double bc1 = 1.0 - std::pow(h.beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(h.beta2, static_cast<double>(step));
  const float b1 = static_cast<float>(h.beta1), b2 = static_cast<float>(h.beta2);
  const float step_size = static_cast<float>(h.lr / bc1);
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  const float eps = static_cast<float>(h.eps);
  const float decay = static_cast<float>(h.lr * weight_decay);
  for (std::int64_t i = 0; i < count; ++i) {
    const float g = grads[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    // lr * m_hat / (sqrt(v_hat) + eps) = (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)
    const float denom = std::sqrt(v[i]) * inv_sqrt_bc2 + eps;
    params[i] = params[i] - decay * params[i] - step_size * m[i] / denom;
  }
}

void adamw_step(const ParameterLayout& layout, float* params, const float* grads, float* m,
                float* v, const AdamWHyper& h, std::int64_t step) {
  for (const auto& e : layout.entries())
    adamw_update(params + e.offset, grads + e.offset, m + e.offset, v + e.offset, e.numel(), h,
                 step, e.weight_decay ? h.weight_decay : 0.0);
}

}  // namespace cairn::train

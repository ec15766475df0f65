// AdamW (Loshchilov & Hutter 2019, decoupled weight decay) on flat f32 master weights.
// At step t (1-based), for every element:
//   m = b1 m + (1 - b1) g
//   v = b2 v + (1 - b2) g^2
//   m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)
//   p = p - lr * (m_hat / (sqrt(v_hat) + eps) + wd * p)
// (PyTorch's torch.optim.AdamW order: the decay p *= 1 - lr*wd is applied first, which is
// the same update since both read the old p.)
#pragma once

#include <cstdint>

#include "train/parameter_layout.h"

namespace cairn::train {

struct AdamWHyper {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;
};

// One update of count elements at 1-based step t with the given weight decay.
void adamw_update(float* params, const float* grads, float* m, float* v, std::int64_t count,
                  const AdamWHyper& h, std::int64_t step, double weight_decay);

// One update of a whole model: each layout entry with its own decay (entries whose
// weight_decay is false get none). Buffers are layout.total_elements() long.
void adamw_step(const ParameterLayout& layout, float* params, const float* grads, float* m,
                float* v, const AdamWHyper& h, std::int64_t step);

}  // namespace cairn::train

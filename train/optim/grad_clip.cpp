#include "train/optim/grad_clip.h"

#include <cmath>

namespace cairn::train {

double global_norm(const float* grads, std::int64_t count) {
  double ss = 0;
  for (std::int64_t i = 0; i < count; ++i) ss += static_cast<double>(grads[i]) * grads[i];
  return std::sqrt(ss);
}

double clip_grad_norm(float* grads, std::int64_t count, double max_norm) {
  const double norm = global_norm(grads, count);
  scale_to_norm(grads, count, norm, max_norm);
  return norm;
}

void scale_to_norm(float* grads, std::int64_t count, double norm, double max_norm) {
  if (max_norm > 0 && norm > max_norm) {
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));
    for (std::int64_t i = 0; i < count; ++i) grads[i] *= scale;
  }
}

}  // namespace cairn::train

#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

std::vector<bf16> to_bf16(const float* x, std::int64_t count) {
  std::vector<bf16> out(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) out[static_cast<std::size_t>(i)] = __float2bfloat16_rn(x[i]);
  return out;
}

std::vector<float> to_float(const bf16* x, std::int64_t count) {
  std::vector<float> out(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) out[static_cast<std::size_t>(i)] = __bfloat162float(x[i]);
  return out;
}

}  // namespace cairn::train::cuda

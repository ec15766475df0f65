// bf16 storage for the CUDA ops: __nv_bfloat16 (1 sign, 8 exponent, 7 mantissa bits;
// relative rounding error <= 2^-9). Host conversions round to nearest even, as the GPU.
#pragma once

#include <cstdint>
#include <vector>

#include <cuda_bf16.h>

namespace cairn::train::cuda {

using bf16 = __nv_bfloat16;

std::vector<bf16> to_bf16(const float* x, std::int64_t count);
std::vector<float> to_float(const bf16* x, std::int64_t count);
inline std::vector<bf16> to_bf16(const std::vector<float>& x) {
  return to_bf16(x.data(), static_cast<std::int64_t>(x.size()));
}
inline std::vector<float> to_float(const std::vector<bf16>& x) {
  return to_float(x.data(), static_cast<std::int64_t>(x.size()));
}

}  // namespace cairn::train::cuda

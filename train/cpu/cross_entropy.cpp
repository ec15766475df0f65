#include "train/cpu/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "train/cpu/parallel.h"

namespace cairn::train::cpu {

std::int64_t count_targets(const std::int32_t* targets, std::int64_t n, std::int64_t vocab) {
  std::int64_t counted = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (targets[i] >= vocab)
      throw Error("cross_entropy: target " + std::to_string(targets[i]) + " at row " +
                  std::to_string(i) + " is outside the vocabulary [0, " +
                  std::to_string(vocab) + ")");
    if (targets[i] >= 0) ++counted;
  }
  return counted;
}

template <typename T>
T cross_entropy_forward(const T* logits, const std::int32_t* targets, std::int64_t n,
                        std::int64_t vocab, T* lse, std::int64_t* counted) {
  const std::int64_t c = count_targets(targets, n, vocab);
  if (counted) *counted = c;
  parallel_for(n, 3.0 * static_cast<double>(vocab), [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      const T* z = logits + i * vocab;
      const T mx = *std::max_element(z, z + vocab);
      T sum = 0;
      for (std::int64_t v = 0; v < vocab; ++v) sum += std::exp(z[v] - mx);
      lse[i] = mx + std::log(sum);
    }
  });
  // The mean, summed in row order in double.
  double total = 0;
  for (std::int64_t i = 0; i < n; ++i)
    if (targets[i] >= 0) total += static_cast<double>(lse[i] - logits[i * vocab + targets[i]]);
  return c == 0 ? T(0) : static_cast<T>(total / static_cast<double>(c));
}

template <typename T>
void cross_entropy_backward(const T* logits, const std::int32_t* targets, const T* lse,
                            std::int64_t n, std::int64_t vocab, T dloss, T* dlogits) {
  const std::int64_t c = count_targets(targets, n, vocab);
  const T scale = c == 0 ? T(0) : dloss / static_cast<T>(c);
  parallel_for(n, 2.0 * static_cast<double>(vocab), [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      const T* z = logits + i * vocab;
      T* dz = dlogits + i * vocab;
      if (targets[i] < 0) {
        std::fill(dz, dz + vocab, T(0));
        continue;
      }
      for (std::int64_t v = 0; v < vocab; ++v) dz[v] = scale * std::exp(z[v] - lse[i]);
      dz[targets[i]] -= scale;
    }
  });
}

#define CAIRN_INSTANTIATE(T)                                                                  \
  template T cross_entropy_forward<T>(const T*, const std::int32_t*, std::int64_t,           \
                                      std::int64_t, T*, std::int64_t*);                       \
  template void cross_entropy_backward<T>(const T*, const std::int32_t*, const T*,           \
                                          std::int64_t, std::int64_t, T, T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu

#include "ft/sdc/fingerprint.h"

#include <cmath>
#include <cstring>

#include <xxhash.h>

namespace cairn::ft {
namespace {

// The word sum, the float sums and the non-finite count in one loop the compiler
// vectorises (no early exit, no branch on the data): memory-bound, like the hash.
void sums(const float* x, std::size_t n, Fingerprint& f) {
  // Eight lanes of each sum, added in a fixed order at the end: the compiler keeps the
  // lanes in vector registers (a single accumulator would serialise on the FP adds).
  constexpr std::size_t kLanes = 8;
  std::uint64_t words[kLanes] = {}, nonfinite[kLanes] = {};
  double sum[kLanes] = {}, abs_sum[kLanes] = {};
  const std::size_t whole = n - n % kLanes;
  for (std::size_t i = 0; i < whole; i += kLanes)
    for (std::size_t l = 0; l < kLanes; ++l) {
      std::uint32_t w;
      std::memcpy(&w, x + i + l, sizeof w);
      words[l] += w;
      nonfinite[l] += ((w >> 23) & 0xffu) == 0xffu;
      const double v = x[i + l];
      sum[l] += v;
      abs_sum[l] += std::fabs(v);
    }
  for (std::size_t i = whole; i < n; ++i) {
    std::uint32_t w;
    std::memcpy(&w, x + i, sizeof w);
    words[0] += w;
    nonfinite[0] += ((w >> 23) & 0xffu) == 0xffu;
    sum[0] += static_cast<double>(x[i]);
    abs_sum[0] += std::fabs(static_cast<double>(x[i]));
  }
  for (std::size_t l = 0; l < kLanes; ++l) {
    f.word_sum += words[l];
    f.nonfinite += nonfinite[l];
    f.sum += sum[l];
    f.abs_sum += abs_sum[l];
  }
}

}  // namespace

std::uint64_t hash_bits(const float* x, std::size_t n) { return XXH3_64bits(x, n * sizeof(float)); }

Fingerprint bits_fingerprint(const float* x, std::size_t n) {
  Fingerprint f;
  f.xxh3 = hash_bits(x, n);
  constexpr std::size_t kLanes = 8;
  std::uint64_t words[kLanes] = {};
  const std::size_t whole = n - n % kLanes;
  for (std::size_t i = 0; i < whole; i += kLanes)
    for (std::size_t l = 0; l < kLanes; ++l) {
      std::uint32_t w;
      std::memcpy(&w, x + i + l, sizeof w);
      words[l] += w;
    }
  for (std::size_t i = whole; i < n; ++i) {
    std::uint32_t w;
    std::memcpy(&w, x + i, sizeof w);
    words[0] += w;
  }
  for (std::uint64_t w : words) f.word_sum += w;
  return f;
}

Fingerprint fingerprint(const float* x, std::size_t n) {
  Fingerprint f;
  f.xxh3 = hash_bits(x, n);
  sums(x, n, f);
  return f;
}

}  // namespace cairn::ft

// The fingerprint hash a GPU can compute in parallel: XXH3 chains its stripes through a
// scramble every block, so it is sequential across a buffer; this is a sum, mod 2^64, of
// one mixed word per element,
//   H = sum_i mix(i, w_i),  mix(i, w) = splitmix64_finalizer((i << 32 | w) ^ (i >> 32) K)
// (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014,
// for the finaliser). The finaliser is a bijection of 64-bit words (xor-shifts and odd
// multiplies), so for a fixed i a changed w always changes its term and H: every change
// of one element is found for certain; a change of several collides with probability
// ~2^-64, and the index in the input makes moved elements count as changed. Summing in
// any order gives the same H, so a grid of threads needs no fixed order.
// Header-only and host/device: the CPU reference (fingerprint.h, mixed_fingerprint) and
// the kernel (fingerprint.cu) share this one definition.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define CAIRN_SDC_HD __host__ __device__ __forceinline__
#else
#define CAIRN_SDC_HD inline
#endif

namespace cairn::ft {

CAIRN_SDC_HD std::uint64_t mix_word(std::uint64_t index, std::uint32_t word) {
  std::uint64_t z = ((index << 32) | word) ^ ((index >> 32) * 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace cairn::ft

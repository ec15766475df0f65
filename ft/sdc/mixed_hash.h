// The fingerprint hash a GPU can compute in parallel: XXH3 chains its stripes through a
// scramble every block, so it is sequential across a buffer; this is a sum, mod 2^64, of
// one mixed word per pair of elements (elements 2p and 2p+1 as one 64-bit word, the last
// pair of an odd count padded with a zero word),
//   H = sum_p mix(p, w_2p | w_2p+1 << 32),  mix(p, u) = splitmix64_finalizer(u ^ p K)
// (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014,
// for the finaliser; K the golden-ratio odd constant). The finaliser is a bijection of
// 64-bit words (xor-shifts and odd multiplies), so for a fixed p a changed pair always
// changes its term and H: every change of one element is found for certain; a change of
// several collides with probability ~2^-64, and the index makes moved pairs count as
// changed. Summing in any order gives the same H, so a grid of threads needs no fixed
// order. Why pairs: two 64-bit multiplies a pair, not three an element, and p K advanced
// by an add: a GPU reads at its memory's pace with this much arithmetic (one a word ran
// at 58 % of a read-only kernel's bandwidth on an H200: integer-bound).
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

inline constexpr std::uint64_t kPairIndexMul = 0x9e3779b97f4a7c15ULL;

// mix(p, u) given pk = p K mod 2^64 (a loop advances it by an add).
CAIRN_SDC_HD std::uint64_t mix_pair(std::uint64_t pk, std::uint32_t lo, std::uint32_t hi) {
  std::uint64_t z = ((static_cast<std::uint64_t>(hi) << 32) | lo) ^ pk;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace cairn::ft

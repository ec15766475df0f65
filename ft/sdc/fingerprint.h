// A bit-exact fingerprint of a run of f32 values, and the float sums the reduction's sum
// check needs, in one pass over the data (fingerprint.cpp: the vectorisable CPU loop).
//
// Two independent exact checks: XXH3-64 of the raw bytes (any change of any bit changes
// it with probability 1 - 2^-64) and the sum of the 32-bit words mod 2^64 (a single
// flipped bit changes it by +-2^b, never 0). Beside them, what is not a check of the bits
// but of the arithmetic done on them later: the sum and the sum of magnitudes (double),
// and the count of NaN/Inf values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cairn::ft {

struct Fingerprint {
  std::uint64_t xxh3 = 0;
  std::uint64_t word_sum = 0;
  double sum = 0;             // sum_i x_i, in double, in index order
  double abs_sum = 0;         // sum_i |x_i|
  std::uint64_t nonfinite = 0;  // elements whose exponent is all ones (NaN, +-Inf)
};

// One pass over x[0, n).
Fingerprint fingerprint(const float* x, std::size_t n);

// Whether two fingerprints say the same bits: the hash and the word sum (the float sums
// follow from the bits).
inline bool same_bits(const Fingerprint& a, const Fingerprint& b) {
  return a.xxh3 == b.xxh3 && a.word_sum == b.word_sum;
}

// The bits only (xxh3 and word_sum; the float fields stay 0): the verification of a
// buffer whose float sums nobody needs.
Fingerprint bits_fingerprint(const float* x, std::size_t n);

// XXH3-64 alone (the parameters' replica comparison, the result chunks).
std::uint64_t hash_bits(const float* x, std::size_t n);

}  // namespace cairn::ft

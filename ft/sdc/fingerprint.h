// A bit-exact fingerprint of a run of f32 values, and the float sums the reduction's sum
// check needs, in one pass over the data (fingerprint.cpp: the vectorisable CPU loop).
//
// Two independent exact checks: XXH3-64 of the raw bytes (any change of any bit changes
// it with probability 1 - 2^-64) and the sum of the 32-bit words mod 2^32 (a single
// flipped bit b changes it by +-2^b, never 0 mod 2^32; 32-bit lanes vectorise twice as
// wide as 64-bit ones). Beside them, what is not a check of the bits
// but of the arithmetic done on them later: the sum and the sum of magnitudes (double),
// and the count of NaN/Inf values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace cairn::ft {

struct Fingerprint {
  std::uint64_t xxh3 = 0;
  std::uint64_t word_sum = 0;  // mod 2^32
  double sum = 0;               // sum_i x_i, in double (eight lanes, then added in order)
  double abs_sum = 0;           // sum_i |x_i|
  std::uint64_t nonfinite = 0;  // elements whose exponent is all ones (NaN, +-Inf)
};

// Whether two fingerprints say the same bits: the hash and the word sum (the float sums
// follow from the bits).
inline bool same_bits(const Fingerprint& a, const Fingerprint& b) {
  return a.xxh3 == b.xxh3 && a.word_sum == b.word_sum;
}

// A fingerprint taken piece by piece, so a caller can fold it into a pass it makes over
// the data anyway (copying it, summing it) while each piece is still in cache: one trip
// through memory instead of two. The result does not depend on how the data is cut.
class FingerprintStream {
 public:
  // with_sums false: the bits only (xxh3, word_sum); the float fields stay 0.
  explicit FingerprintStream(bool with_sums = true);
  ~FingerprintStream();
  FingerprintStream(FingerprintStream&&) noexcept;
  FingerprintStream& operator=(FingerprintStream&&) noexcept;
  void reset();
  void update(const float* x, std::size_t n);
  Fingerprint finish() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The block a fused pass works on: 16 Ki floats (64 KiB, in L2).
inline constexpr std::size_t kFingerprintBlock = std::size_t{1} << 14;

// One pass over x[0, n).
Fingerprint fingerprint(const float* x, std::size_t n);
// The bits only: the verification of a buffer whose float sums nobody needs.
Fingerprint bits_fingerprint(const float* x, std::size_t n);

// The same fingerprint with mixed_hash.h's parallel hash in place of XXH3 (the `xxh3`
// field holds it): the CPU reference of the GPU kernel (fingerprint_cuda.h), to which
// the kernel must agree exactly in the hash, the word sum and the NaN/Inf count.
Fingerprint mixed_fingerprint(const float* x, std::size_t n);

// XXH3-64 alone (the parameters' replica comparison).
std::uint64_t hash_bits(const float* x, std::size_t n);

}  // namespace cairn::ft

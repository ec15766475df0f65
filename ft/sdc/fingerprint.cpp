#include "ft/sdc/fingerprint.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include <xxhash.h>

#include "ft/sdc/mixed_hash.h"

namespace cairn::ft {
namespace {

constexpr std::size_t kLanes = 8;

// The word sum, the float sums and the non-finite count over eight lanes the compiler
// keeps in vector registers (no early exit, no branch on the data; one accumulator
// would serialise on the FP adds). Element i goes to lane i % 8 of the whole stream.
struct Lanes {
  std::uint32_t words[kLanes] = {};  // mod 2^32: four lanes to a 128-bit add
  std::uint32_t nonfinite[kLanes] = {};  // per lane: below 2^32 for any chunk under 2^35 elements
  double sum[kLanes] = {}, abs_sum[kLanes] = {};
  std::size_t seen = 0;  // elements so far, for the lane of the next

  template <bool kWithSums>
  void add(const float* x, std::size_t n) {
    std::size_t i = 0;
    for (; i < n && seen % kLanes != 0; ++i, ++seen) one<kWithSums>(x[i], seen % kLanes);  // finish a group
    const std::size_t groups = (n - i) / kLanes;
    for (std::size_t g = 0; g < groups; ++g, i += kLanes)
      for (std::size_t l = 0; l < kLanes; ++l) one<kWithSums>(x[i + l], l);
    seen += groups * kLanes;
    for (; i < n; ++i, ++seen) one<kWithSums>(x[i], seen % kLanes);
  }
  template <bool kWithSums>
  void one(float v, std::size_t l) {
    std::uint32_t w;
    std::memcpy(&w, &v, sizeof w);
    words[l] += w;
    if constexpr (kWithSums) {
      nonfinite[l] += ((w >> 23) & 0xffu) == 0xffu;
      const double d = v;
      sum[l] += d;
      abs_sum[l] += std::fabs(d);
    }
  }
  void into(Fingerprint& f) const {
    std::uint32_t word_sum = 0;
    for (std::size_t l = 0; l < kLanes; ++l) {
      word_sum += words[l];
      f.nonfinite += nonfinite[l];
      f.sum += sum[l];
      f.abs_sum += abs_sum[l];
    }
    f.word_sum = word_sum;
  }
};

}  // namespace

struct FingerprintStream::State {
  XXH3_state_t* xxh = nullptr;
  Lanes lanes;
  bool with_sums = true;
  State() : xxh(XXH3_createState()) {
    if (!xxh) throw std::bad_alloc();
  }
  ~State() { XXH3_freeState(xxh); }
};

FingerprintStream::FingerprintStream(bool with_sums) : s_(std::make_unique<State>()) {
  s_->with_sums = with_sums;
  reset();
}
FingerprintStream::~FingerprintStream() = default;
FingerprintStream::FingerprintStream(FingerprintStream&&) noexcept = default;
FingerprintStream& FingerprintStream::operator=(FingerprintStream&&) noexcept = default;

void FingerprintStream::reset() {
  XXH3_64bits_reset(s_->xxh);
  const bool with_sums = s_->with_sums;
  s_->lanes = Lanes{};
  s_->with_sums = with_sums;
}

void FingerprintStream::update(const float* x, std::size_t n) {
  XXH3_64bits_update(s_->xxh, x, n * sizeof(float));
  if (s_->with_sums) s_->lanes.add<true>(x, n);
  else s_->lanes.add<false>(x, n);
}

Fingerprint FingerprintStream::finish() const {
  Fingerprint f;
  f.xxh3 = XXH3_64bits_digest(s_->xxh);
  s_->lanes.into(f);
  return f;
}

std::uint64_t hash_bits(const float* x, std::size_t n) { return XXH3_64bits(x, n * sizeof(float)); }

namespace {
template <bool kWithSums>
Fingerprint one_pass(const float* x, std::size_t n) {
  // Block by block: the hash and the sums read each block while it is in cache.
  XXH3_state_t* st = XXH3_createState();
  if (!st) throw std::bad_alloc();
  XXH3_64bits_reset(st);
  Lanes lanes;
  for (std::size_t i = 0; i < n; i += kFingerprintBlock) {
    const std::size_t m = std::min(kFingerprintBlock, n - i);
    XXH3_64bits_update(st, x + i, m * sizeof(float));
    lanes.add<kWithSums>(x + i, m);
  }
  Fingerprint f;
  f.xxh3 = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  lanes.into(f);
  return f;
}
}  // namespace

Fingerprint fingerprint(const float* x, std::size_t n) { return one_pass<true>(x, n); }

Fingerprint mixed_fingerprint(const float* x, std::size_t n) {
  Lanes lanes;
  std::uint64_t h = 0;
  const auto word = [&](std::size_t j) {
    std::uint32_t w = 0;
    if (j < n) std::memcpy(&w, x + j, sizeof w);
    return w;
  };
  for (std::size_t p = 0; 2 * p < n; ++p) h += mix_pair(p * kPairIndexMul, word(2 * p), word(2 * p + 1));
  for (std::size_t i = 0; i < n; i += kFingerprintBlock) lanes.add<true>(x + i, std::min(kFingerprintBlock, n - i));
  Fingerprint f;
  f.xxh3 = h;
  lanes.into(f);
  return f;
}
Fingerprint bits_fingerprint(const float* x, std::size_t n) { return one_pass<false>(x, n); }

}  // namespace cairn::ft

// ft/sdc's pure parts: the fingerprint sees every single-bit flip of every element, the
// float sums it declares are right, the sum check's rounding bound holds on clean data
// of every magnitude (and is not so loose that it is no check), the replicas' verdict,
// the policy names and the options' ranges.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "common/error.h"
#include "ft/sdc/bit_flips.h"
#include "ft/sdc/fingerprint.h"
#include "ft/sdc/replica_check.h"
#include "ft/sdc/sdc_options.h"
#include "ft/sdc/sum_bound.h"

namespace cairn::ft {
namespace {

// Gradient-like values: random sign, magnitudes log-uniform over 2^-30 .. 2^2.
std::vector<float> gradient_like(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> e(-30, 2), s(0, 1);
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>((s(rng) < 0.5 ? -1 : 1) * std::exp2(e(rng)));
  return x;
}

TEST(SdcFingerprint, EverySingleBitFlipOfEveryElementChangesBothChecks) {
  std::vector<float> x = gradient_like(67, 1);  // not a multiple of the eight lanes
  const Fingerprint clean = fingerprint(x.data(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    for (int bit = 0; bit < 32; ++bit) {
      flip_bit(x[i], bit);
      const Fingerprint f = bits_fingerprint(x.data(), x.size());
      EXPECT_NE(f.xxh3, clean.xxh3) << "element " << i << " bit " << bit;
      EXPECT_NE(f.word_sum, clean.word_sum) << "element " << i << " bit " << bit;
      EXPECT_FALSE(same_bits(f, clean));
      flip_bit(x[i], bit);
    }
  EXPECT_TRUE(same_bits(bits_fingerprint(x.data(), x.size()), clean));
}

// The GPU's hash (mixed_hash.h), by its CPU reference: every single flip, and a swap of
// two elements, changes it; the rest of the fingerprint is the XXH3 one's.
TEST(SdcFingerprint, TheParallelHashSeesEverySingleBitFlipAndEverySwap) {
  std::vector<float> x = gradient_like(67, 2);
  const Fingerprint clean = mixed_fingerprint(x.data(), x.size());
  const Fingerprint host = fingerprint(x.data(), x.size());
  EXPECT_EQ(clean.word_sum, host.word_sum);
  EXPECT_EQ(clean.nonfinite, host.nonfinite);
  EXPECT_DOUBLE_EQ(clean.abs_sum, host.abs_sum);
  for (std::size_t i = 0; i < x.size(); ++i)
    for (int bit = 0; bit < 32; ++bit) {
      flip_bit(x[i], bit);
      EXPECT_NE(mixed_fingerprint(x.data(), x.size()).xxh3, clean.xxh3) << "element " << i << " bit " << bit;
      flip_bit(x[i], bit);
    }
  std::swap(x[3], x[40]);
  const Fingerprint swapped = mixed_fingerprint(x.data(), x.size());
  EXPECT_EQ(swapped.word_sum, clean.word_sum);  // the word sum cannot see a swap
  EXPECT_NE(swapped.xxh3, clean.xxh3);          // the position-mixed hash does
}

TEST(SdcFingerprint, DeclaresTheSumsAndCountsNaNAndInf) {
  std::vector<float> x = {1.5f, -2.25f, 0.0f, 4.0f, -0.5f, 1e-30f, 3.0f, -1.0f, 8.0f};
  const Fingerprint f = fingerprint(x.data(), x.size());
  EXPECT_DOUBLE_EQ(f.sum, 1.5 - 2.25 + 4 - 0.5 + static_cast<double>(1e-30f) + 3 - 1 + 8);
  EXPECT_DOUBLE_EQ(f.abs_sum, 1.5 + 2.25 + 4 + 0.5 + static_cast<double>(1e-30f) + 3 + 1 + 8);
  EXPECT_EQ(f.nonfinite, 0u);
  x[2] = std::numeric_limits<float>::quiet_NaN();
  x[8] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(fingerprint(x.data(), x.size()).nonfinite, 2u);
}

// The owner's arithmetic, as checked_reduction.cpp does it: rank order, then / R.
TEST(SdcSumBound, HoldsOnCleanReductionsOfEveryMagnitudeAndIsTight) {
  for (int ranks : {2, 3, 4, 7, 16}) {
    for (unsigned seed = 0; seed < 20; ++seed) {
      const std::size_t c = 4099;
      std::vector<std::vector<float>> in;
      double declared = 0, abs_in = 0;
      for (int r = 0; r < ranks; ++r) {
        in.push_back(gradient_like(c, seed * 97 + static_cast<unsigned>(r)));
        const Fingerprint f = fingerprint(in.back().data(), c);
        declared += f.sum;
        abs_in += f.abs_sum;
      }
      std::vector<float> y = in[0];
      for (int r = 1; r < ranks; ++r)
        for (std::size_t i = 0; i < c; ++i) y[i] += in[r][i];
      for (float& v : y) v /= static_cast<float>(ranks);
      const Fingerprint out = fingerprint(y.data(), c);
      const double err = std::fabs(out.sum - declared / ranks);
      const double bound = reduction_sum_bound(abs_in, out.abs_sum, ranks, c);
      EXPECT_LE(err, bound) << ranks << " ranks, seed " << seed;
      // Not vacuous: the bound is a few units of f32 rounding of the data's magnitude.
      EXPECT_LT(bound, 1e-5 * abs_in / ranks) << ranks << " ranks";
    }
  }
}

TEST(SdcSumBound, GammaIsHighams) {
  EXPECT_DOUBLE_EQ(gamma_bound(1, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(gamma_bound(3, std::ldexp(1.0, -24)), 3 * std::ldexp(1.0, -24) / (1 - 3 * std::ldexp(1.0, -24)));
  EXPECT_TRUE(std::isinf(gamma_bound(4, 0.25)));
}

TEST(SdcReplicas, TheMajorityNamesTheReplicaThatDiffers) {
  EXPECT_TRUE(judge_replicas({7, 7, 7, 7}).agree);
  const ReplicaVerdict v = judge_replicas({7, 7, 9, 7});
  EXPECT_FALSE(v.agree);
  EXPECT_EQ(v.majority, 7u);
  EXPECT_EQ(v.differing, std::vector<int>{2});
  // Two replicas: which one is wrong cannot be told; the lowest rank's hash stands.
  EXPECT_EQ(judge_replicas({3, 5}).differing, std::vector<int>{1});
}

TEST(SdcFlips, FlipBitFlipsExactlyThatBitAndPickedElementsStayInRange) {
  float x = 1.0f;
  flip_bit(x, 31);
  EXPECT_EQ(x, -1.0f);
  flip_bit(x, 23);
  EXPECT_EQ(x, -0.5f);
  for (std::int64_t step = 0; step < 1000; ++step) EXPECT_LT(picked_element(step, 37), 37u);
  EXPECT_NE(picked_element(1, 1 << 20), picked_element(2, 1 << 20));
}

TEST(SdcOptions, PoliciesAndRangesAreCheckedByName) {
  EXPECT_EQ(parse_sdc_policy("skip"), SdcPolicy::skip);
  EXPECT_EQ(parse_sdc_policy("rollback"), SdcPolicy::rollback);
  EXPECT_EQ(parse_sdc_policy("stop"), SdcPolicy::stop);
  EXPECT_THROW(parse_sdc_policy("retry"), Error);
  SdcOptions o;
  EXPECT_NO_THROW(check_sdc_options(o));
  o.retries = -1;
  EXPECT_THROW(check_sdc_options(o), Error);
  o.retries = kMaxSdcRetries + 1;
  EXPECT_THROW(check_sdc_options(o), Error);
  o.retries = 0;
  o.param_check_every = -3;
  try {
    check_sdc_options(o);
    ADD_FAILURE() << "accepted a negative --sdc-param-check-every";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--sdc-param-check-every"), std::string::npos) << e.what();
  }
}

TEST(SdcFlips, AnElementBeyondTheGradientsIsRefusedByName) {
  const BitFlipPlan plan({parse_fault_spec("bitflip:rank=0,step=1,where=gradient,bit=3,element=100")}, 0);
  EXPECT_NO_THROW(plan.check_elements(101));
  try {
    plan.check_elements(100);
    ADD_FAILURE() << "accepted element 100 of 100";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--inject"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cairn::ft

// The checked reduction on 4 real rank processes (UCX, tests/support/rank_harness.h):
// a clean one computes the mean bitwise as the rank-order sum would; every single-bit
// flip (all 32 positions) of a gradient element before the reduction, in transit and in
// the reduced buffer is detected, localised where it happened and repaired, leaving the
// result bitwise equal to a clean reduction's (done-when 2 of issue 19, in-process); a
// fault the retries cannot repair leaves every rank with the same verdict; NaN/Inf in a
// rank's own gradients names it; the unchecked path keeps the flip; and the replicas'
// parameter check names the one that differs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "ft/sdc/bit_flips.h"
#include "ft/sdc/checked_reduction.h"
#include "ft/sdc/replica_check.h"
#include "tests/support/rank_harness.h"

namespace cairn::ft {
namespace {

using coll::testing::RankEnv;

constexpr int kRanks = 4;
constexpr std::size_t kElements = 1001;  // not a multiple of 4: the last chunk is padded

// Rank r's gradients: gradient-like magnitudes (2^-30 .. 2^1), random signs, some zeros.
float input(int rank, std::size_t i) {
  std::uint64_t z = (static_cast<std::uint64_t>(rank) << 32) + i + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  if (z % 17 == 0) return 0.0f;
  const double e = -30.0 + static_cast<double>((z >> 8) % 3100) / 100.0;
  return static_cast<float>(((z >> 40) & 1 ? -1.0 : 1.0) * std::exp2(e));
}
std::vector<float> inputs(int rank) {
  std::vector<float> g(kElements);
  for (std::size_t i = 0; i < kElements; ++i) g[i] = input(rank, i);
  return g;
}
double weight_of(int rank) { return rank == 2 ? 1.25 : 1.0; }

// What the mean must be, bit for bit: sum_r fl(w_r g_r) in rank order, then / R.
std::vector<float> expected_mean() {
  std::vector<float> y(kElements, 0.0f);
  for (std::size_t i = 0; i < kElements; ++i) {
    float s = input(0, i) * static_cast<float>(weight_of(0));
    for (int r = 1; r < kRanks; ++r) s += input(r, i) * static_cast<float>(weight_of(r));
    y[i] = s / static_cast<float>(kRanks);
  }
  return y;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

bool mentions(const ReductionOutcome& o, const std::string& text) {
  for (const auto& f : o.findings)
    if (f.find(text) != std::string::npos) return true;
  return false;
}

std::string all_findings(const ReductionOutcome& o) {
  std::string s;
  for (const auto& f : o.findings) s += "\n  " + f;
  return s;
}

void run_on_ranks(const std::function<void(RankEnv&, coll::Communicator&)>& body) {
  coll::testing::expect_all_ok(coll::testing::run_ranks(kRanks, [&](RankEnv& env) {
    auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
    body(env, *comm);
    comm.reset();  // collective
  }));
}

TEST(SdcReduction, CleanReductionIsTheRankOrderMeanBitwiseAndFindsNothing) {
  run_on_ranks([](RankEnv& env, coll::Communicator& comm) {
    CheckedReduction red(comm, 2);
    std::vector<float> g = inputs(env.rank());
    const ReductionOutcome o = red.reduce(g.data(), g.size(), weight_of(env.rank()));
    env.expect(o.verified && o.retries == 0 && o.findings.empty(), "a clean reduction is verified at once" + all_findings(o));
    env.expect(bitwise_equal(g, expected_mean()), "the result is the rank-order mean, bitwise");
    // And again: the same inputs, the same bits (replays are reproducible).
    std::vector<float> again = inputs(env.rank());
    red.reduce(again.data(), again.size(), weight_of(env.rank()));
    env.expect(bitwise_equal(again, g), "a second reduction of the same inputs gives the same bits");
  });
}

// Done-when 2: all 32 bit positions, three sites, elements in the first, a middle and the
// padded last chunk, small and large; each flip is found, localised and repaired.
TEST(SdcReduction, EverySingleBitFlipAtEverySiteIsDetectedLocalisedAndRepairedBitwise) {
  run_on_ranks([](RankEnv& env, coll::Communicator& comm) {
    const std::vector<float> want = expected_mean();
    CheckedReduction red(comm, 2);
    const std::size_t elements[] = {0, 260, 517, 1000};
    int trials = 0;
    for (FlipSite where : {FlipSite::gradient, FlipSite::transit, FlipSite::reduced})
      for (int bit = 0; bit < 32; ++bit)
        for (std::size_t e : elements) {
          const int flip_rank = (bit + static_cast<int>(e)) % kRanks;
          FaultSpec f;
          f.kind = FaultKind::bit_flip;
          f.rank = flip_rank;
          f.step = 5;
          f.where = where;
          f.bit = bit;
          f.element = static_cast<std::int64_t>(e);
          const BitFlipPlan plan({f}, env.rank());
          std::vector<float> g = inputs(env.rank());
          const ReductionOutcome o = red.reduce(g.data(), g.size(), weight_of(env.rank()), plan.taps(5, g.size()));
          const std::string what = std::string(to_string(where)) + " bit " + std::to_string(bit) + " element " +
                                   std::to_string(e) + " on rank " + std::to_string(flip_rank);
          ++trials;
          if (!env.expect(o.verified && o.retries == 1, what + ": detected and repaired by one retry" + all_findings(o)))
            continue;
          env.expect(bitwise_equal(g, want), what + ": the repaired result equals the clean one bitwise");
          const int owner = static_cast<int>(e / CheckedReduction::chunk_elements(kElements, kRanks));
          const std::string q = std::to_string(flip_rank), ow = std::to_string(owner);
          if (where == FlipSite::gradient)
            env.expect(mentions(o, "computation/memory on rank " + q), what + ": blamed on its sender" + all_findings(o));
          else if (where == FlipSite::transit)
            env.expect(flip_rank == owner ? mentions(o, "the alltoall's local copy on rank " + q)
                                          : mentions(o, "communication between rank " + q + " and rank " + ow),
                       what + ": blamed on the link" + all_findings(o));
          else
            env.expect(mentions(o, "reduced chunk " + ow + " differs on rank " + q + ", while its owner's copy still"),
                       what + ": found in that rank's reduced buffer" + all_findings(o));
        }
    if (env.rank() == 0) env.note("trials " + std::to_string(trials));
  });
}

TEST(SdcReduction, AFaultTheRetriesCannotRepairLeavesEveryRankTheSameVerdict) {
  run_on_ranks([](RankEnv& env, coll::Communicator& comm) {
    CheckedReduction red(comm, 0);  // no retry: the first finding is final
    FaultSpec f;
    f.kind = FaultKind::bit_flip;
    f.rank = 1;
    f.step = 0;
    f.where = FlipSite::transit;
    f.bit = 17;
    f.element = 3;
    std::vector<float> g = inputs(env.rank());
    const ReductionOutcome o = red.reduce(g.data(), g.size(), 1.0, BitFlipPlan({f}, env.rank()).taps(0, g.size()));
    env.expect(!o.verified && o.retries == 0, "unrepaired with no retries" + all_findings(o));
    env.expect(mentions(o, "communication between rank 1 and rank 0"), "localised to the link 1 -> 0" + all_findings(o));
    // Afterwards the reduction works again (nothing half-done is left in the communicator).
    std::vector<float> h = inputs(env.rank());
    env.expect(red.reduce(h.data(), h.size(), 1.0).verified, "the next reduction is clean");
  });
}

TEST(SdcReduction, NaNInARanksOwnGradientsNamesItWithoutARetry) {
  run_on_ranks([](RankEnv& env, coll::Communicator& comm) {
    CheckedReduction red(comm, 2);
    std::vector<float> g = inputs(env.rank());
    if (env.rank() == 3) g[42] = std::nanf("");
    const ReductionOutcome o = red.reduce(g.data(), g.size(), 1.0);
    env.expect(!o.verified && o.inputs_nonfinite && o.retries == 0, "refused at once" + all_findings(o));
    env.expect(o.suspects == std::vector<int>{3}, "rank 3 named");
    env.expect(mentions(o, "rank 3's own gradients hold 1 NaN/Inf value"), "the finding says so" + all_findings(o));
  });
}

TEST(SdcReduction, TheUncheckedPathKeepsTheFlip) {
  run_on_ranks([](RankEnv& env, coll::Communicator& comm) {
    CheckedReduction red(comm, 2);
    std::vector<float> clean = inputs(env.rank());
    red.reduce_unchecked(clean.data(), clean.size(), weight_of(env.rank()));
    env.expect(bitwise_equal(clean, expected_mean()), "the unchecked path computes the same mean");
    FaultSpec f;
    f.kind = FaultKind::bit_flip;
    f.rank = 2;
    f.step = 0;
    f.where = FlipSite::transit;
    f.bit = 20;  // a mantissa bit: no NaN, no Inf, nothing an aggregate check would see
    f.element = 700;
    std::vector<float> g = inputs(env.rank());
    red.reduce_unchecked(g.data(), g.size(), weight_of(env.rank()), BitFlipPlan({f}, env.rank()).taps(0, g.size()));
    env.expect(!bitwise_equal(g, clean), "the flip reached the result");
    env.expect(std::memcmp(g.data(), clean.data(), 700 * sizeof(float)) == 0, "and only element 700");
  });
}

TEST(SdcReplicas, ParameterCheckNamesTheReplicaThatDiffers) {
  run_on_ranks([](RankEnv& env, coll::Communicator& comm) {
    std::vector<float> p = inputs(0);
    env.expect(compare_replicas(comm, p.data(), p.size()).agree, "identical replicas agree");
    if (env.rank() == 1) flip_bit(p[999], 4);
    const ReplicaVerdict v = compare_replicas(comm, p.data(), p.size());
    env.expect(!v.agree && v.differing == std::vector<int>{1}, "rank 1 named");
  });
}

}  // namespace
}  // namespace cairn::ft

// Fits and held-out error on synthetic measurement surfaces. The surfaces are test inputs
// built from known coefficients (not stand-ins for a dependency): a fit must give those
// coefficients back, and a held-out error must equal the error planted in the held-out sizes.
#include "tuner/model/calibration.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/error_of.h"
#include "topology/cluster.h"
#include "tuner/model/host_model.h"

namespace cairn::tuner {
namespace {

// Sizes 1 KiB .. 256 MiB, x 4.
std::vector<double> sizes() {
  std::vector<double> v;
  for (double n = 1024; n <= 256.0 * 1024 * 1024; n *= 4) v.push_back(n);
  return v;
}

// t = alpha x steps(N) + beta x bytes_factor(N) x n for the family's structure.
std::vector<Sample> host_surface(const std::string& family, const std::string& coll, int nranks, double alpha,
                                 double beta) {
  std::vector<Sample> out;
  for (double n : sizes()) {
    const HostShape h = host_shape(family, coll, nranks);
    out.push_back({family, coll, n, nranks, 1, alpha * h.steps + beta * h.bytes_factor * n});
  }
  return out;
}

TEST(Calibration, HostFitRecoversPerStepAlphaAndBetaAndPredictsOtherRankCounts) {
  const double alpha = 4.0, beta = 1.0 / 5e3;  // 4 us per step, 5 GB/s
  const std::vector<Sample> at4 = host_surface("ucx:ring", "all_reduce", 4, alpha, beta);
  const std::vector<FamilyFit> fits = fit_families(at4);
  ASSERT_EQ(fits.size(), 1u);
  EXPECT_NEAR(fits[0].fit.alpha_us, alpha, 1e-9 * alpha);
  EXPECT_NEAR(fits[0].fit.beta_us_per_byte, beta, 1e-9 * beta);
  // Fitted at N = 4, predicting N = 16 exactly (the structure carries the N dependence).
  for (const Sample& s : host_surface("ucx:ring", "all_reduce", 16, alpha, beta))
    EXPECT_NEAR(predict_us(fits[0], s), s.time_us, 1e-9 * s.time_us);
}

TEST(Calibration, FitsArePerFamilyAndCollective) {
  std::vector<Sample> all = host_surface("ucx:ring", "all_reduce", 8, 3.0, 1e-4);
  for (const Sample& s : host_surface("ucx:rhd", "all_reduce", 8, 9.0, 2e-4)) all.push_back(s);
  const std::vector<FamilyFit> fits = fit_families(all);
  ASSERT_EQ(fits.size(), 2u);
  const FamilyFit* rhd = find_fit(fits, "ucx:rhd", "all_reduce");
  ASSERT_NE(rhd, nullptr);
  EXPECT_NEAR(rhd->fit.alpha_us, 9.0, 1e-8);
  EXPECT_EQ(find_fit(fits, "ucx:tree", "all_reduce"), nullptr);
}

TEST(Calibration, HeldOutErrorIsTheErrorPlantedInTheHeldOutSizes) {
  // Exact on the fitted sizes (1st, 3rd, ...), +10 % on the held-out ones (2nd, 4th, ...),
  // so the fit is exact and every held-out prediction is off by 1 / 1.1 - 1 relative to
  // the measured time: |t/1.1 - t| / t = 0.0909...
  std::vector<Sample> s = host_surface("ucx:ring", "all_reduce", 4, 4.0, 2e-4);
  for (std::size_t i = 1; i < s.size(); i += 2) s[i].time_us *= 1.1;
  const HoldoutReport r = holdout_error(s);
  ASSERT_EQ(r.families.size(), 1u);
  EXPECT_EQ(r.held_out, static_cast<int>(s.size() / 2));
  EXPECT_EQ(r.families[0].fitted, static_cast<int>(s.size() - s.size() / 2));
  EXPECT_NEAR(r.median_abs_rel_error, 1 - 1 / 1.1, 1e-9);
  EXPECT_NEAR(r.families[0].median_abs_rel_error, 1 - 1 / 1.1, 1e-9);
}

TEST(Calibration, HeldOutErrorPoolsFamiliesAndSkipsTooFewSizes) {
  std::vector<Sample> s = host_surface("ucx:ring", "all_reduce", 4, 4.0, 2e-4);
  std::vector<Sample> tree = host_surface("ucx:tree", "all_reduce", 4, 6.0, 3e-4);
  for (std::size_t i = 1; i < tree.size(); i += 2) tree[i].time_us *= 1.5;  // 1/3 off
  s.insert(s.end(), tree.begin(), tree.end());
  s.push_back({"ucx:rhd", "all_reduce", 1024, 4, 1, 10});  // one size: nothing to hold out
  s.push_back({"ucx:rhd", "all_reduce", 4096, 4, 1, 12});
  const HoldoutReport r = holdout_error(s);
  ASSERT_EQ(r.families.size(), 2u);
  EXPECT_EQ(r.families[0].family, "ucx:ring");
  EXPECT_NEAR(r.families[0].median_abs_rel_error, 0.0, 1e-9);
  EXPECT_NEAR(r.families[1].median_abs_rel_error, 1 - 1 / 1.5, 1e-9);
  EXPECT_EQ(r.held_out, 2 * static_cast<int>(sizes().size() / 2));
  const std::vector<std::string> lines = format_holdout(r);
  EXPECT_NE(lines.back().find("overall"), std::string::npos);
}

TEST(Calibration, NcclEfficienciesAreRecoveredAndCarryToAnotherScale) {
  // Measurements on 2 Alps nodes that are NCCL's model with latency x 1.5 and bytes x 1.25.
  const SystemModel small = system_model(topology::cluster_preset("gh200-alps", 2));
  std::vector<Sample> s;
  for (double n : sizes()) {
    const nccl::CommModel c = nccl::comm_model(small, 2);
    nccl::Efficiency eff;
    for (auto& row : eff.latency_scale) row.fill(1.5);
    for (auto& row : eff.byte_scale) row.fill(1.25);
    s.push_back({"nccl:ring/simple", "all_reduce", n, 8, 2,
                 nccl::evaluate(c, nccl::tune_model(c, nccl::Func::all_reduce), nccl::Func::all_reduce, nccl::Algo::ring,
                                nccl::Proto::simple, n, eff)
                     .time_us});
  }
  const std::vector<FamilyFit> fits = fit_families(s, &small);
  ASSERT_EQ(fits.size(), 1u);
  EXPECT_NEAR(fits[0].fit.alpha_us, 1.5, 1e-9);
  EXPECT_NEAR(fits[0].fit.beta_us_per_byte, 1.25, 1e-9);
  const nccl::Efficiency eff = nccl_efficiency(fits, "all_reduce");
  EXPECT_DOUBLE_EQ(eff.latency_scale[nccl::idx(nccl::Algo::ring)][nccl::idx(nccl::Proto::simple)], 1.5);
  EXPECT_DOUBLE_EQ(eff.latency_scale[nccl::idx(nccl::Algo::tree)][nccl::idx(nccl::Proto::simple)], 1.0);
  // At 64 nodes the prediction is NCCL's terms there with the same efficiencies.
  const SystemModel big = system_model(topology::cluster_preset("gh200-alps", 64));
  const Sample shape{"nccl:ring/simple", "all_reduce", 1 << 26, 256, 64, 0};
  const nccl::CommModel c = nccl::comm_model(big, 64);
  const nccl::Terms x =
      nccl::terms(c, nccl::tune_model(c, nccl::Func::all_reduce), nccl::Func::all_reduce, nccl::Algo::ring, nccl::Proto::simple, 1 << 26);
  EXPECT_NEAR(predict_us(fits[0], shape, &big), 1.5 * x.latency_us + 1.25 * x.bytes_us, 1e-6);
}

TEST(Calibration, BadSamplesAreNamed) {
  std::vector<Sample> s = {{"ucx:ring", "all_reduce", 1024, 4, 1, -3}};
  EXPECT_NE(test::error_of([&] { fit_families(s); }).find("sample 0 (ucx:ring all_reduce): time_us -3"), std::string::npos);
  s = {{"ucx:ring", "all_reduce", 1024, 1, 1, 3}};
  EXPECT_NE(test::error_of([&] { fit_families(s); }).find("nranks 1"), std::string::npos);
  s = {{"ucx:ring", "all_reduce", 1024, 6, 4, 3}};
  EXPECT_NE(test::error_of([&] { fit_families(s); }).find("does not divide"), std::string::npos);
  s = {{"nccl:ring/simple", "all_reduce", 1024, 8, 2, 3}};
  EXPECT_NE(test::error_of([&] { fit_families(s); }).find("need the system"), std::string::npos);
  s = {{"nccl:ring", "all_reduce", 1024, 8, 2, 3}};
  const SystemModel alps = system_model(topology::cluster_preset("gh200-alps", 2));
  EXPECT_NE(test::error_of([&] { fit_families(s, &alps); }).find("nccl:<algorithm>/<protocol>"), std::string::npos);
  s = {{"nccl:ring/ll128", "all_reduce", 1024, 8, 2, 3}};
  EXPECT_NE(test::error_of([&] { fit_families(s, &alps); }).find("disabled there"), std::string::npos);
}

}  // namespace
}  // namespace cairn::tuner

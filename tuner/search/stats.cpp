#include "tuner/search/stats.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::tuner {
namespace {

// Type-7 quantile of sorted values.
double quantile(const std::vector<double>& s, double q) {
  const double pos = q * double(s.size() - 1);
  const std::size_t lo = std::size_t(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (pos - double(lo)) * (s[hi] - s[lo]);
}

// P(Binomial(n, 1/2) <= j), summed in log space so that large n does not underflow.
double binomial_half_cdf(int n, int j) {
  double total = 0;
  for (int i = 0; i <= j; ++i)
    total += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) - n * std::log(2.0));
  return std::min(total, 1.0);
}

void check_coverage(double coverage) {
  if (!(coverage > 0 && coverage < 1))
    throw Error(fmt::format("noise rule: coverage {} is outside (0, 1); pass e.g. 0.95", coverage));
}

}  // namespace

Summary summarize(std::span<const double> values) {
  Summary s;
  if (values.empty()) return s;
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  s.n = int(v.size());
  s.median = quantile(v, 0.5);
  s.p25 = quantile(v, 0.25);
  s.p75 = quantile(v, 0.75);
  s.spread = s.median > 0 ? (s.p75 - s.p25) / s.median : 0;
  return s;
}

int min_rounds_for(double coverage) {
  check_coverage(coverage);
  int n = 1;
  while (1 - 2 * binomial_half_cdf(n, 0) < coverage) ++n;  // k = 1: 1 - 2^(1-n)
  return n;
}

MedianInterval median_interval(std::span<const double> values, double coverage) {
  check_coverage(coverage);
  MedianInterval m;
  const int n = int(values.size());
  if (n < min_rounds_for(coverage)) return m;
  // The largest k with 1 - 2 P(B <= k-1) >= coverage; k = 1 qualifies (n is large enough).
  int k = 1;
  while (k + 1 <= (n + 1) / 2 && 1 - 2 * binomial_half_cdf(n, k) >= coverage) ++k;
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  m.rank = k;
  m.low = v[std::size_t(k - 1)];
  m.high = v[std::size_t(n - k)];
  m.coverage = 1 - 2 * binomial_half_cdf(n, k - 1);
  return m;
}

NoiseVerdict noise_rule(std::span<const double> default_us, std::span<const double> candidate_us, double coverage) {
  if (default_us.size() != candidate_us.size())
    throw Error(fmt::format("noise rule: {} default times against {} candidate times; measure both in the same rounds",
                            default_us.size(), candidate_us.size()));
  std::vector<double> ratios;
  for (std::size_t i = 0; i < default_us.size(); ++i) {
    if (!(default_us[i] > 0) || !(candidate_us[i] > 0) || !std::isfinite(default_us[i]) || !std::isfinite(candidate_us[i]))
      throw Error(fmt::format("noise rule: round {} has a time that is not a positive number ({} us, {} us)", i,
                              default_us[i], candidate_us[i]));
    ratios.push_back(default_us[i] / candidate_us[i]);
  }
  NoiseVerdict v;
  v.rounds = int(ratios.size());
  if (ratios.empty()) return v;
  v.speedup = summarize(ratios).median;
  const MedianInterval m = median_interval(ratios, coverage);
  if (!m.valid()) {
    v.speedup_low = v.speedup_high = v.speedup;
    return v;
  }
  v.speedup_low = m.low;
  v.speedup_high = m.high;
  v.coverage = m.coverage;
  v.alpha = (1 - m.coverage) / 2;
  v.winner = m.low > 1;
  return v;
}

}  // namespace cairn::tuner

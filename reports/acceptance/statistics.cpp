#include "reports/acceptance/statistics.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace cairn::acceptance {
namespace {

// P(B <= k) for B ~ Binomial(n, 1/2).
double binomial_half_cdf(int n, int k) {
  double term = std::ldexp(1.0, -n), sum = 0;  // C(n, 0) / 2^n
  for (int i = 0; i <= k; ++i) {
    sum += term;
    term = term * (n - i) / (i + 1);
  }
  return sum;
}

}  // namespace

Summary summarize(std::vector<double> samples, double confidence) {
  if (samples.empty()) throw Error("no measurements to summarize");
  for (double x : samples)
    if (!std::isfinite(x)) throw Error("a measurement was not a finite number");
  std::sort(samples.begin(), samples.end());
  Summary s;
  s.n = static_cast<int>(samples.size());
  const int n = s.n;
  s.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  // The widest j (1-based) whose tails P(B <= j-1) each stay within (1 - confidence) / 2.
  int j = 1;
  while (j + 1 <= (n + 1) / 2 && binomial_half_cdf(n, j) <= (1 - confidence) / 2) ++j;
  s.ci_low = samples[j - 1];
  s.ci_high = samples[n - j];
  s.confidence = 1 - 2 * binomial_half_cdf(n, j - 1);
  double sum = 0;
  for (double x : samples) sum += x;
  s.mean = sum / n;
  if (n > 1 && s.mean != 0) {
    double ss = 0;
    for (double x : samples) ss += (x - s.mean) * (x - s.mean);
    s.cv = std::sqrt(ss / (n - 1)) / std::fabs(s.mean);
  }
  return s;
}

double percentile_rank(double value, const std::vector<double>& fleet) {
  if (fleet.empty()) return 50;
  double below = 0;
  for (double x : fleet) below += x < value ? 1.0 : x == value ? 0.5 : 0.0;
  return 100 * below / static_cast<double>(fleet.size());
}

}  // namespace cairn::acceptance

// The statistics an acceptance verdict rests on: the median of repeated measurements, a
// distribution-free confidence interval for it, the coefficient of variation, and where a
// node stands among its fleet.
#pragma once

#include <vector>

namespace cairn::acceptance {

struct Summary {
  int n = 0;
  double median = 0;
  // The interval [ci_low, ci_high] holds the population median with probability at least
  // `confidence` whatever the distribution: order statistics x(j) and x(n+1-j), with j
  // from the binomial (Conover, Practical Nonparametric Statistics, 3rd ed., sec. 3.2).
  // Below 6 samples no pair reaches 95 % and the interval is [min, max] at 1 - 2^(1-n)
  // (93.75 % for 5).
  double ci_low = 0, ci_high = 0, confidence = 0;
  double mean = 0;
  double cv = 0;  // sample standard deviation / mean; 0 for one sample
};

// Throws cairn::Error for no samples or one that is not finite.
Summary summarize(std::vector<double> samples, double confidence = 0.95);

// The percentage of `fleet` values at or below `value` (the "percentile rank", with ties
// counted half: Hazen). 50 for a node at the fleet's median.
double percentile_rank(double value, const std::vector<double>& fleet);

}  // namespace cairn::acceptance

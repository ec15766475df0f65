// Robust statistics of repeated timings and the noise rule that decides whether a
// candidate beats the default. Nothing here assumes normal data: timings of collectives
// are skewed and heavy-tailed (Hoefler & Belli, "Scientific Benchmarking of Parallel
// Computing Systems", SC'15, rules 5 and 6: report nonparametric confidence intervals of
// the median and do not assume normality).
#pragma once

#include <span>

namespace cairn::tuner {

// Median, quartiles (linear interpolation between order statistics, R's type 7) and the
// spread (p75 - p25) / median: a scale-free width of the middle half.
struct Summary {
  double median = 0;
  double p25 = 0;
  double p75 = 0;
  double spread = 0;
  int n = 0;
};
Summary summarize(std::span<const double> values);  // n 0: all zero

// A distribution-free confidence interval for the median of n values: the order
// statistics [x_(k), x_(n+1-k)], which cover the population median with probability
// 1 - 2 P(Binomial(n, 1/2) <= k - 1), k the largest rank with coverage >= the requested
// one (Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, 3rd ed., the
// sign-test interval of chapter 3; Le Boudec, Performance Evaluation of Computer and
// Communication Systems, Theorem 2.1). It needs no assumption but independent draws
// from one continuous distribution.
struct MedianInterval {
  double low = 0;
  double high = 0;
  double coverage = 0;  // the exact coverage of the ranks chosen (>= the one asked for)
  int rank = 0;         // k: low is the k-th smallest value, high the k-th largest
  bool valid() const { return rank > 0; }
};
// Invalid (rank 0) when n is below min_rounds_for(coverage).
MedianInterval median_interval(std::span<const double> values, double coverage);

// The fewest values for which some interval reaches `coverage`: 1 - 2 / 2^n >= coverage
// (6 for 95 %, 8 for 99 %). coverage must lie in (0, 1).
int min_rounds_for(double coverage);

// The noise rule for a candidate measured against the default, interleaved over R
// rounds: round i gives the paired ratio default_i / candidate_i (> 1: the candidate is
// faster in that round; pairing cancels drifts common to both). The speedup is the median
// ratio with its interval above. A winner only when R >= min_rounds_for(coverage) and the
// interval's lower bound exceeds 1; else the default stays. When both have the same
// distribution the median ratio is 1 and a winner is declared with probability
// P(Binomial(R, 1/2) <= k - 1) <= (1 - coverage) / 2 (the one-sided alpha).
struct NoiseVerdict {
  double speedup = 1;        // median of default_i / candidate_i
  double speedup_low = 1;    // the interval (both the median when too few rounds)
  double speedup_high = 1;
  double coverage = 0;       // the interval's exact coverage
  double alpha = 0;          // the chance of a false winner under no difference
  int rounds = 0;
  bool winner = false;
};
// The spans must have the same length (cairn::Error otherwise) and positive times.
NoiseVerdict noise_rule(std::span<const double> default_us, std::span<const double> candidate_us,
                        double coverage = 0.95);

}  // namespace cairn::tuner

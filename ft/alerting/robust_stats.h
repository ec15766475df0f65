// The robust statistics the detectors judge with (the straggler detector scores ranks,
// the divergence detector a step against its recent past): a median and the median absolute
// deviation resist the one rank they are meant to find (a mean and a standard deviation
// would move towards it).
#pragma once

#include <vector>

namespace cairn::ft {

// Median of the values (the mean of the middle two for an even count); 0 when empty.
double median_of(std::vector<double> values);

// Median absolute deviation from the median.
double mad_of(const std::vector<double>& values);

// Iglewicz & Hoaglin's modified z-score, M = 0.6745 (x - median) / MAD ("How to Detect
// and Handle Outliers", ASQC 1993): 0.6745 is the 0.75 quantile of the standard normal, so
// M matches an ordinary z-score on normal data. The MAD is floored at floor_fraction x
// |median|: a section every rank times alike (MAD near 0) would otherwise turn noise of a
// microsecond into a huge score. With the default floor (0.02) and cut (3.5), a rank must
// sit ~10 % off a perfectly quiet group to score past the cut.
inline constexpr double kMadFloorFraction = 0.02;
double modified_z(double x, double median, double mad, double floor_fraction = kMadFloorFraction);

// x / median(others) - 1: how much slower x is than the ranks it is compared with
// (0 when there are none or their median is 0).
double slowdown_vs(double x, const std::vector<double>& others);

}  // namespace cairn::ft

// The alpha-beta (Hockney) model of one configuration on one communicator:
//   t(n) = alpha + beta * n,
// alpha the latency of the call in microseconds, beta the time per byte (1 / bandwidth).
// NCCL's own model (tuning.cc) is this form with alpha = baseLat + steps x hwLat and
// beta = 1 / (busBw x ratio); nccl_model.h gives it that structure. Fitted here by least
// squares on relative error, so a 1 KiB point and a 1 GiB point weigh alike.
#pragma once

#include <cstddef>
#include <span>

namespace cairn::tuner {

struct SizeTime {
  double bytes = 0;
  double time_us = 0;
};

struct AlphaBetaFit {
  double alpha_us = 0;
  double beta_us_per_byte = 0;
  int points = 0;
  double median_rel_error = 0;   // |fit - measured| / measured over the points fitted
  double predict_us(double bytes) const { return alpha_us + beta_us_per_byte * bytes; }
  bool valid() const { return points > 0; }
};

// Minimises sum(((alpha + beta n_i) - t_i) / t_i)^2 with alpha, beta >= 0. One point: all
// of its time is taken as bandwidth time (alpha 0) when n > 0. No points (or only
// non-positive times): an invalid fit (points 0).
AlphaBetaFit fit_alpha_beta(std::span<const SizeTime> points);

}  // namespace cairn::tuner

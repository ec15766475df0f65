// A piecewise alpha-beta fit: contiguous ranges of x (the bytes of one step, in the
// per-step form of host_model.h), each with its own alpha and beta. Host transports change
// regime with the message size (UCX's eager and rendezvous protocols, caches), so one line
// from 1 KiB to 256 MiB misses by 20 % where two or three lines do not
// (docs/bench-ucx-vs-mpi.md's measurements). Segments are chosen by dynamic programming:
// least total squared relative error plus `penalty` per segment, each segment at least
// `min_points` distinct x. A point between two segments takes the segment on its side of
// the geometric midpoint between them.
#pragma once

#include <span>
#include <vector>

#include "tuner/model/alpha_beta.h"

namespace cairn::tuner {

struct FitSegment {
  double from_x = 0;  // the smallest and largest x fitted in this segment
  double to_x = 0;
  AlphaBetaFit fit;
};

struct SegmentedFit {
  std::vector<FitSegment> segments;  // by x, ascending
  bool valid() const { return !segments.empty(); }
  const AlphaBetaFit& at(double x) const;  // the segment x falls in; requires valid()
  double predict_us(double x) const { return at(x).predict_us(x); }
};

// penalty in units of squared relative error: a new segment must lower the sum over its
// points of ((fit - t) / t)^2 by more than this. No usable points: no segments.
SegmentedFit fit_segments(std::span<const SizeTime> points, int min_points = 2, double penalty = 0.05);

}  // namespace cairn::tuner

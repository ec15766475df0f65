// The sweep GPU tests check every collective with: 8 B up to `max_bytes` by factors of 8,
// 3 iterations, every dtype and every reduction.
#pragma once

#include <cstddef>

#include "collectives/measure/harness/options.h"

namespace cairn::coll::testing {

inline bench::SweepOptions every_dtype_and_op(std::size_t max_bytes) {
  bench::SweepOptions o;
  o.min_bytes = 8;
  o.max_bytes = max_bytes;
  o.step_factor = 8;
  o.iters = 3;
  o.dtypes = bench::parse_dtypes("all");
  o.ops = bench::parse_ops("all");
  return o;
}

}  // namespace cairn::coll::testing

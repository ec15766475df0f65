// `cairn tune --predict --cluster NAME --nodes N [--from FILE]`: the cost model's busbw per
// collective and size at a cluster's scale, and, given measurements (a tune journal or a
// bench --json result), the model fitted to them with its error on sizes held out of the fit.
#pragma once

#include <string>
#include <vector>

#include "collectives/measure/harness/collective.h"
#include "collectives/measure/harness/harness.h"

namespace cairn::tuner {

std::string predict_report(const std::string& cluster, int nodes, const std::vector<const coll::bench::CollTest*>& tests,
                           const coll::bench::SweepOptions& sweep, const std::string& from);

}  // namespace cairn::tuner

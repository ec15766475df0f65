// The readable report of `cairn probe`: node, CPU, NUMA, GPUs, NICs, then the findings by
// severity and the notes. Every line fits `width` columns (100 by STYLE.md); long cells
// are cut with "~", long messages wrap under their first line.
#pragma once

#include <string>
#include <vector>

#include "probe/health.h"
#include "probe/node.h"

namespace cairn::probe {

std::string render_summary(const NodeInfo& node, const std::vector<Finding>& findings, std::size_t width = 100);

}  // namespace cairn::probe

// The topology for people: what the node holds, and per GPU its NUMA node, CPUs, the NIC
// it should use, the path class to it and that path's bottleneck bandwidth. Fits 100 columns.
#pragma once

#include <string>

#include "topology/graph.h"

namespace cairn::topology {

std::string format_summary(const Graph& g);

}  // namespace cairn::topology

// The topology graph of a node from what the probe found (live, an hwloc XML file, or a
// capture): NUMA nodes with CPUs become CPU vertices; the PCI tree is folded to the
// switches (bridges that fan out to two or more devices we keep) and the root ports the
// trees hang from; GPUs, NICs and NVSwitches become vertices; NVLink peers become links.
#pragma once

#include "probe/node.h"
#include "topology/graph.h"

namespace cairn::topology {

Graph graph_from_probe(const probe::NodeInfo& node);

}  // namespace cairn::topology

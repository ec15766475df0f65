// The topology graph as JSON for machines: schema "cairn.topo" version 1. Vertices and
// links carry the names tables print ("GPU0", "NIC1", "NUMA0", "PCI 0000:17:00.0"), so
// the path matrix and the NIC choices refer to them.
//
//   { "schema": "cairn.topo", "schema_version": 1, "source": ..., "notes": [...],
//     "vertices": [{"name", "kind", "bus_id", "up", ...kind attributes}],
//     "links": [{"a", "b", "kind", "gb_s", "latency_us", "count"?, "gt_s"?, "width"?}],
//     "matrix": {"devices": ["GPU0", ..., "NIC0", ...], "paths": [["X", "NV18", ...], ...]},
//     "gpus": [{"name", "bus_id", "numa", "cpus", "nic", "nic_name", "path",
//               "bottleneck_gb_s"}] }
#pragma once

#include "common/json_io.h"
#include "topology/graph.h"

namespace cairn::topology {

Json topology_to_json(const Graph& g);

}  // namespace cairn::topology

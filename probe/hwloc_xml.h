// Reads hwloc XML exports into a NodeInfo: the files lstopo writes (topology version 2.x
// from hwloc 2, 3.0 from hwloc 3) and the live discovery's own export. Our own reader,
// because the installed hwloc library refuses version 3.0 files and because one reader
// for files, captures and live discovery means one code path to test.
//
// Read: packages, cores, PUs, CPU model; NUMA nodes (memory, CPUs, latency matrix, GPU
// memory nodes); the PCI tree with link bandwidth and each device's locality; GPUs (NVIDIA
// display/3D functions, with their NVML/CUDA OS devices); NICs (OpenFabrics devices and
// network interfaces; Slingshot Cassini functions); NVLink peers from the NVLinkBandwidth
// matrix. Errors name the source and the problem on one line.
#pragma once

#include <string>

#include "probe/node.h"

namespace cairn::probe {

// `source` names the text in errors and in NodeInfo::source ("hwloc-xml:<source>").
NodeInfo parse_hwloc_xml(const std::string& text, const std::string& source);

// Reads a file; a missing, empty, truncated or malformed file is a cairn::Error naming it.
NodeInfo read_hwloc_xml_file(const std::string& path);

}  // namespace cairn::probe

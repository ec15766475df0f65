// The probe's entry points. Every source goes through one pipeline: an hwloc XML read by
// our reader, then PCIe links, InfiniBand devices and network ports from a sysfs root,
// verbs MTUs, and CUDA/NVML facts, all joined by PCI bus id.
#pragma once

#include <string>

#include "probe/gpu_facts.h"
#include "probe/ibverbs_live.h"
#include "probe/node.h"
#include "probe/sysfs_root.h"

namespace cairn::probe {

// This node. With capture_dir, also saves what was read there (see capture files below);
// the directory must not exist or be empty.
NodeInfo probe_live(const std::string& capture_dir = "");

// A capture directory, a /sys + /proc snapshot directory, a plain hwloc XML file, or a
// `cairn probe --json` output.
NodeInfo probe_from(const std::string& path);

// A capture: DIR/meta.json, DIR/hwloc.xml, DIR/sysfs/..., DIR/gpus.json, DIR/verbs.json.
NodeInfo probe_capture(const std::string& dir);

// A plain /sys + /proc snapshot, as hwloc-gather-topology saves one (DIR/sys, DIR/proc;
// `lstopo --input DIR` reads it): hwloc discovers it through HWLOC_FSROOT, the sysfs
// readers read DIR/sys. It holds no verbs or GPU driver answers.
NodeInfo probe_snapshot(const std::string& dir);

// The shared pipeline after the hwloc view is read.
void add_device_facts(NodeInfo& node, const SysfsRoot& sysfs, const VerbsMtus& mtus, const GpuFacts& gpus);

inline constexpr const char* kCaptureSchema = "cairn.probe-capture";

}  // namespace cairn::probe

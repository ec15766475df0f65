// The node topology a profile was measured on, as one short hash: `cairn tune` writes it
// into the profile and the plugin compares it with the node it runs on, so a profile is
// never applied to other hardware. Read cheaply from sysfs (a few small attribute files a
// device), the same way by both.
#pragma once

#include <string>
#include <vector>

namespace cairn::tuner {

// The canonical description hashed: one line a device, sorted, of
//   NVIDIA GPUs (vendor 0x10de, PCI class 0x0300 VGA or 0x0302 3D):
//     "gpu <device id> numa <node>"
//   network devices (class 0x0200 Ethernet or 0x0207 InfiniBand):
//     "net <vendor>:<device id> numa <node>"
// ids as the kernel prints them ("0x2330"), the NUMA node as numa_node says (-1: none).
// Bus addresses are left out: two nodes of one model hash alike however their buses
// enumerate. cairn::Error naming the directory when <sysfs_root>/bus/pci/devices is not one.
std::vector<std::string> node_topology_lines(const std::string& sysfs_root = "/sys");

// 16 lower-case hex digits of xxHash64 (seed 0) over the lines, each ended by '\n'.
std::string node_topology_hash(const std::string& sysfs_root = "/sys");

}  // namespace cairn::tuner

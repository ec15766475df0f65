// Paths between devices of one node, classed as `nvidia-smi topo -m` classes them:
//   X     the device itself
//   NV#   a bonded set of # NVLinks, directly or through NVSwitches
//   PIX   through at most one PCIe switch
//   PXB   through several PCIe switches, without the host bridge
//   PHB   through a PCIe host bridge (the CPU's root complex)
//   NODE  across host bridges within one NUMA node
//   SYS   across the socket interconnect (QPI/UPI, xGMI, ...) between NUMA nodes
// Host bridges: devices at the top of the tree that sit on the same root bus ("dddd:bb" of
// their bus id) share one, as Linux's pci_bus roots do.
//
// The NVSwitches of one node are taken as one fabric, as NCCL does (all NVSwitch links go
// to a single NVS vertex in its graph): NVSwitch systems are built fully connected, so two
// GPUs that both reach NVSwitches are NV# with # the smaller of their link counts.
#pragma once

#include <string>
#include <vector>

#include "topology/graph.h"

namespace cairn::topology {

enum class PathClass { self, nvlink, pix, pxb, phb, node, sys };

struct Path {
  PathClass cls = PathClass::sys;
  int nvlinks = 0;                // for nvlink: the bonded link count
  std::vector<int> vertices;      // from the first device to the second
  std::vector<int> links;         // the links between them, in order
  double bottleneck_gb_s = 0;     // the slowest link's bandwidth; 0 for X
  double latency_us = 0;          // the sum of the links' latencies
};

// "X", "NV18", "PIX", "PXB", "PHB", "NODE", "SYS".
std::string to_string(const Path& p);
const char* to_string(PathClass c);

// The path between two vertices of the PCI side (GPUs, NICs, switches, NVSwitches).
// Throws cairn::Error if either does not hang from a CPU.
Path find_path(const Graph& g, int a, int b);

// For every GPU (in display order) the NIC it should use: the closest path class, then the
// highest bottleneck bandwidth, then the NIC fewest GPUs use so far, so NICs are shared
// only where no other NIC is as close. Only RDMA NICs (verbs, Slingshot cxi) compete where
// the node has any. Empty if the node has no NIC.
struct NicChoice {
  int gpu = -1;
  int nic = -1;
  Path path;
};
std::vector<NicChoice> best_nics(const Graph& g);

// The CPUs close to a GPU (its NUMA node's list string) and that NUMA node's id (-1 if
// unknown).
std::string gpu_cpus(const Graph& g, int gpu);
int gpu_numa(const Graph& g, int gpu);

// The GPU/NIC matrix as `nvidia-smi topo -m` prints it, with CPU and NUMA affinity per GPU
// and the legends; within 100 columns (the affinity columns move to their own table when
// the matrix is too wide for them).
std::string format_matrix(const Graph& g);

}  // namespace cairn::topology

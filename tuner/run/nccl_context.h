// What the NCCL search space depends on (search/space.h NcclSpaceContext), read from the
// node: the GPU's compute capability, how NCCL reaches other nodes (InfiniBand verbs
// devices, a libfabric network plugin on Slingshot, else its socket transport), and
// whether the node is Alps-like (HPE Cassini NICs, ../shared FIELD.md).
#pragma once

#include <string>

#include "tuner/search/space.h"

namespace cairn::tuner {

struct NodeFacts {
  int compute_capability = 0;  // of this rank's GPU; 0 unknown
  bool has_ib_verbs = false;   // /sys/class/infiniband has devices
  bool has_cassini = false;    // a PCI device of vendor 0x17db (HPE Cray: Slingshot's Cassini NIC)
  bool ofi_plugin = false;     // NCCL_NET_PLUGIN / NCCL_NET name libfabric (aws-ofi-nccl)
};

// `sysfs_root` "/sys" on a live node; a fixture's tree in tests.
NodeFacts read_node_facts(const std::string& sysfs_root, int cuda_device);

NcclSpaceContext nccl_context(const NodeFacts& facts, const std::string& collective, int nranks, int nnodes);

}  // namespace cairn::tuner

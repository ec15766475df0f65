// Synthetic graphs of well-known node types, the building blocks of cluster models:
//   dgx-h100    NVIDIA DGX H100: 2 Xeon Platinum 8480C sockets, 8 H100 SXM on NVSwitch
//               (18 NVLink4 links per GPU), 8 ConnectX-7 400 Gb/s NDR InfiniBand NICs, each
//               GPU with its NIC under one PCIe Gen5 switch (nvidia-smi: GPU-NIC PIX).
//   gh200-alps  An Alps-style HPE Cray node (CSCS): 4 GH200 (Grace + H100, 96 GB HBM3),
//               each GPU on NVLink-C2C to its Grace and 6 NVLink4 links to each other GPU,
//               4 Slingshot-11 Cassini NICs at 200 Gb/s, one per Grace, reached through
//               libfabric's cxi provider (aws-ofi-nccl), not ibverbs (../shared FIELD.md).
//   pcie-only   8 PCIe GPUs (H100 PCIe) in pairs on 4 PCIe Gen5 switches, 2 sockets, 2
//               ConnectX-7 400 Gb/s NICs (one per socket, beside the first pair of GPUs).
// The devices, counts and link rates are the real ones; bus ids of DGX H100 and GH200 GPUs
// are those the machines show, other bus ids (switches, NICs) are invented but shaped like
// real ones so paths come out as on the machine.
#pragma once

#include <string>
#include <vector>

#include "topology/graph.h"

namespace cairn::topology {

std::vector<std::string> node_preset_names();

// Throws cairn::Error naming the preset and listing the known ones if there is no such.
Graph node_preset(const std::string& name);

}  // namespace cairn::topology

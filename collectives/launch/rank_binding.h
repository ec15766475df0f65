// `cairn launch --bind`: which CPUs, GPU and NIC each local rank gets. The facts come from
// the node's topology (topology::Graph: what `cairn topo` prints for each GPU, its NUMA
// node's CPUs and its best NIC) and the process's CPU affinity; the plan is a pure
// function of them, so it is tested on made-up nodes and on captured topologies.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "topology/graph.h"

namespace cairn::coll {

struct NodeFacts {
  std::vector<int> allowed_cpus;  // this process's affinity, ascending
  std::map<int, std::vector<int>> numa_cpus;  // NUMA node -> its CPUs
  struct Gpu {
    int index = 0;       // CUDA ordinal with CUDA_DEVICE_ORDER=PCI_BUS_ID
    int numa_node = -1;  // -1: unknown
    std::optional<std::string> nic;  // topology's best NIC for it (best_nics), if a verbs one
  };
  std::vector<Gpu> gpus;
  struct Nic {
    std::string name;    // verbs device, "mlx5_0"
    int numa_node = -1;
  };
  std::vector<Nic> nics;
  // True when each Gpu::nic is topology's choice (none: no NIC for it); false leaves the
  // GPUs' NICs to plan_binding's own rule (the k-th NIC of the GPU's NUMA node).
  bool gpu_nics_chosen = false;
};

struct RankBinding {
  std::vector<int> cpus;         // never empty
  std::optional<int> gpu;        // CUDA_VISIBLE_DEVICES
  std::optional<std::string> nic;  // UCX_NET_DEVICES / NCCL_IB_HCA
};

// One binding per local rank:
// - with GPUs, rank r takes GPU r mod G; its CPUs are the allowed CPUs of that GPU's NUMA
//   node, split evenly among the ranks whose GPUs share the node (the whole allowed set
//   where the node is unknown or has none of them); its NIC is the GPU's own (Gpu::nic)
//   when gpu_nics_chosen, else the k-th NIC of that node for the k-th GPU there (none if
//   the node has no NIC).
// - without GPUs, the allowed CPUs are split into local_size contiguous blocks (shared
//   round-robin when there are fewer CPUs than ranks); the NIC is one on the NUMA node of
//   the block's first CPU, where there is one.
std::vector<RankBinding> plan_binding(const NodeFacts& node, int local_size);

// The environment a binding implies: CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER,
// UCX_NET_DEVICES ("mlx5_0:1"), NCCL_IB_HCA ("=mlx5_0": exact, not a prefix match).
std::map<std::string, std::string> binding_environment(const RankBinding& binding);

// "0-3,8": the list form of a CPU set, for messages.
std::string cpu_list_text(const std::vector<int>& cpus);

// The facts of a topology: its NUMA nodes' CPUs, its GPUs in display order (their CUDA
// ordinals with CUDA_DEVICE_ORDER=PCI_BUS_ID) with their NUMA nodes and best_nics' NIC,
// and its verbs NICs. Only NICs whose transport is ibverbs, or unknown (an NCCL topology
// file lists the NICs NCCL uses), are named: the environment binding_environment() sets
// is a verbs device's (UCX_NET_DEVICES mlx5_0:1, NCCL_IB_HCA).
NodeFacts node_facts(const topology::Graph& g, std::vector<int> allowed_cpus);

// plan_binding(node_facts(g, allowed_cpus), local_size).
std::vector<RankBinding> plan_binding(const topology::Graph& g, const std::vector<int>& allowed_cpus,
                                      int local_size);

// The CPUs of this process's affinity mask (sched_getaffinity), ascending.
std::vector<int> allowed_cpus_of_this_process();

// This node: the live probe's topology (as `cairn topo` builds it) and this process's
// affinity.
NodeFacts read_node_facts();

}  // namespace cairn::coll

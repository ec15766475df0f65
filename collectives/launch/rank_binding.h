// `cairn launch --bind`: which CPUs, GPU and NIC each local rank gets. The plan is a pure
// function of facts about the node, so it is tested on made-up nodes; read_node_facts()
// gathers the facts of this one from sysfs and the process's own CPU affinity.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::coll {

struct NodeFacts {
  std::vector<int> allowed_cpus;  // this process's affinity, ascending
  std::map<int, std::vector<int>> numa_cpus;  // NUMA node -> its CPUs
  struct Gpu {
    int index = 0;       // CUDA ordinal with CUDA_DEVICE_ORDER=PCI_BUS_ID
    int numa_node = -1;  // -1: unknown
  };
  std::vector<Gpu> gpus;
  struct Nic {
    std::string name;    // verbs device, "mlx5_0"
    int numa_node = -1;
  };
  std::vector<Nic> nics;
};

struct RankBinding {
  std::vector<int> cpus;         // never empty
  std::optional<int> gpu;        // CUDA_VISIBLE_DEVICES
  std::optional<std::string> nic;  // UCX_NET_DEVICES / NCCL_IB_HCA
};

// One binding per local rank:
// - with GPUs, rank r takes GPU r mod G; its CPUs are the allowed CPUs of that GPU's NUMA
//   node, split evenly among the ranks whose GPUs share the node (the whole allowed set
//   where the node is unknown or has none of them); its NIC is the k-th NIC of that node
//   for the k-th GPU there (none if the node has no NIC).
// - without GPUs, the allowed CPUs are split into local_size contiguous blocks (shared
//   round-robin when there are fewer CPUs than ranks); the NIC is one on the NUMA node of
//   the block's first CPU, where there is one.
std::vector<RankBinding> plan_binding(const NodeFacts& node, int local_size);

// The environment a binding implies: CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER,
// UCX_NET_DEVICES ("mlx5_0:1"), NCCL_IB_HCA ("=mlx5_0": exact, not a prefix match).
std::map<std::string, std::string> binding_environment(const RankBinding& binding);

// "0-3,8": the list form of a CPU set, for messages.
std::string cpu_list_text(const std::vector<int>& cpus);

// This node: sched_getaffinity, /sys/devices/system/node, NVIDIA display and 3D
// controllers in /sys/bus/pci/devices (ordered by bus id), /sys/class/infiniband.
NodeFacts read_node_facts();

}  // namespace cairn::coll

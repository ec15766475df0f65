// What a node is made of: the data model every probe back end fills (live hwloc + sysfs +
// ibverbs + CUDA/NVML, an hwloc XML file, or a capture taken elsewhere) and every later
// module reads. Callers never need to know which back end produced it.
//
// Conventions: PCI bus ids are "dddd:bb:dd.f" in lower case; CPU sets are Linux list
// strings ("0-15,32-47"); NUMA nodes are named by OS index; unknown numbers are 0 or -1
// as each field says.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cairn::probe {

// A PCIe link: transfer rate per lane and lane count, as trained now and at most.
struct PcieLink {
  double speed_gt_s = 0;      // current per-lane rate (2.5, 5, 8, 16, 32, 64); 0 unknown
  int width = 0;              // current lanes; 0 unknown
  double max_speed_gt_s = 0;  // what the device and its slot can do; 0 unknown
  int max_width = 0;
  // Where only a bandwidth is known (hwloc XML gives GB/s, not gen and width): 10^9 B/s.
  double reported_gb_s = 0;

  bool known() const { return (speed_gt_s > 0 && width > 0) || reported_gb_s > 0; }
  // Usable data rate in one direction, 10^9 B/s, after line encoding (8b/10b up to
  // 5 GT/s, 128b/130b from 8 GT/s, 1b/1b FLIT at 64 GT/s); falls back to reported_gb_s.
  double bandwidth_gb_s() const;
  double max_bandwidth_gb_s() const;
  // Trained below what both ends support, in rate or in width.
  bool downtrained() const;
};

enum class PciKind { bridge, gpu, nic, nvme, nvswitch, other };

struct PciDevice {
  std::string bus_id;
  std::string parent_bus_id;  // upstream bridge; "" when directly under a host bridge
  PciKind kind = PciKind::other;
  std::uint32_t class_id = 0;  // base class << 8 | subclass, e.g. 0x0302 3D controller
  std::uint16_t vendor_id = 0;
  std::uint16_t device_id = 0;
  std::string name;            // vendor and model where known
  int numa_node = -1;          // closest NUMA node (OS index); -1 unknown
  std::string cpuset;          // CPUs local to the device
  PcieLink link;
  std::vector<std::string> os_devices;  // "mlx5_0", "ib0", "cuda0", "nvme0n1", ...
};

// NVLink connections of one GPU to one remote device, aggregated over the links.
struct NvLinkPeer {
  std::string remote_bus_id;    // "" where the driver does not say
  std::string remote_kind;      // "gpu", "nvswitch", "cpu", "unknown"
  int links = 0;                // active links to this peer
  double bandwidth_gb_s = 0;    // one direction, all links together
};

struct GpuInfo {
  int cuda_index = -1;          // CUDA device ordinal; -1 when CUDA was not available
  std::string name;             // "NVIDIA H100 80GB HBM3"
  std::string uuid;
  std::string bus_id;
  std::uint64_t memory_bytes = 0;
  int cc_major = 0, cc_minor = 0;
  PcieLink pcie;
  int numa_node = -1;
  std::string cpuset;
  int memory_numa_node = -1;    // NUMA node holding the GPU's own memory (coherent CPU-GPU)
  int nvlinks_supported = 0;    // links the GPU has
  int nvlinks_active = 0;       // of which up
  std::vector<NvLinkPeer> nvlink_peers;
  bool ecc_enabled = false;
  std::uint64_t ecc_corrected = 0;     // volatile (since driver load)
  std::uint64_t ecc_uncorrected = 0;
  std::uint64_t retired_pages = 0;     // retired pages or remapped rows, whichever the GPU uses
  bool retirement_pending = false;
  std::vector<std::string> throttle_reasons;  // "hw_slowdown", "sw_thermal", ...
  std::string source;           // "cuda+nvml", "cuda", "nvml", "hwloc"
};

struct NicPort {
  int port = 0;
  std::string state;            // "ACTIVE", "DOWN", "INIT", "ARMED"
  std::string phys_state;       // "LinkUp", "Polling", "Disabled", ...
  std::string link_layer;       // "InfiniBand", "Ethernet"
  double rate_gbit_s = 0;       // active speed x width, 10^9 bit/s
  std::string speed;            // "NDR", "HDR", ...
  int width = 0;                // lanes (1, 2, 4, 8, 12)
  int active_mtu = 0;           // bytes; 0 unknown
  std::uint32_t lid = 0;
  std::string gid;              // GID index 0
  std::map<std::string, std::uint64_t> counters;  // sysfs counters/ and hw_counters/
};

struct NicInfo {
  std::string name;             // "mlx5_0", or the PCI device for NICs without verbs
  std::string bus_id;
  std::string transport;        // "ibverbs", "slingshot-cxi", "ethernet"
  std::string fw_ver;
  std::string node_guid;
  std::vector<std::string> netdevs;  // "ib0", "ens1f0"
  std::vector<NicPort> ports;
  int numa_node = -1;
  std::string cpuset;
};

struct NumaNode {
  int os_index = 0;
  std::uint64_t memory_bytes = 0;
  std::string cpuset;           // empty for memory-only nodes (GPU memory, CXL)
  std::string subtype;          // "" for DRAM; "GPUMemory" where a GPU's memory is a node
  std::string gpu_bus_id;       // for GPU memory nodes: the GPU they belong to
  std::vector<std::uint64_t> distances;  // to every node, in the order of NodeInfo::numa
};

struct CpuSummary {
  int packages = 0, cores = 0, pus = 0;
  std::string model;            // "Intel(R) Xeon(R) Platinum 8480C"
  std::string arch;             // "x86_64", "aarch64"
};

struct NodeInfo {
  std::string hostname;
  std::string source;           // "live", "hwloc-xml:FILE", "capture:DIR"
  CpuSummary cpu;
  std::vector<NumaNode> numa;
  std::vector<PciDevice> pci;   // parents before children
  std::vector<GpuInfo> gpus;    // in CUDA order where CUDA was available, else bus order
  std::vector<NicInfo> nics;
  std::vector<std::string> notes;  // what could not be read, and why ("NVML not found: ...")

  const PciDevice* find_pci(const std::string& bus_id) const;
};

}  // namespace cairn::probe

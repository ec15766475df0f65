// The topology of one node as a graph, in the shape NCCL's src/graph/topo.h gives it:
// vertices are CPUs (NUMA nodes), PCI switches, GPUs, NICs, NVSwitches and the network;
// links are PCIe (rate x width), NVLink (x n), NVLink-C2C, the socket interconnect and the
// NIC's port to the network, each with a one-direction bandwidth and a per-hop latency
// (topology/link_model.h: NCCL's own figures).
//
// The PCI part is a tree: every PCI-side vertex has one upstream vertex (a PCI switch or
// its CPU). A PCI vertex is a switch or the root port a tree hangs from; bridges that only
// pass a link through (a switch's downstream ports) are folded into the link, as NCCL folds
// them. Builders: topology/from_probe.h (a probe::NodeInfo), topology/nccl_xml.h (NCCL's
// topology XML), topology/node_presets.h (synthetic nodes for cluster models).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cairn::topology {

enum class VertexKind { cpu, pci, gpu, nic, nvswitch, net };
enum class LinkKind { pcie, nvlink, c2c, smp, net };

const char* to_string(VertexKind kind);
const char* to_string(LinkKind kind);

// A NUMA node with CPUs: NCCL's "CPU" vertex and <cpu> element.
struct CpuAttrs {
  int numa_id = -1;
  std::string cpus;             // Linux list string ("0-55,112-167"); "" unknown
  std::string arch;             // NCCL's spelling: "x86_64", "arm64", "ppc64"; "" unknown
  std::string vendor;           // CPUID vendor: "GenuineIntel", "AuthenticAMD"; "" unknown
  int family_id = -1;           // CPUID family and model; -1 unknown
  int model_id = -1;
  std::string model;            // "Intel(R) Xeon(R) Platinum 8480C"; a label only
};

// PCI identity as NCCL's <pci> element carries it; nullopt where the source did not say.
struct PciIds {
  std::uint32_t class_code = 0;  // 24 bits with the programming interface: 0x030200
  std::optional<int> vendor, device, subsystem_vendor, subsystem_device;
};

// NCCL's <gpu> attributes; nullopt where unknown (NCCL fills them in at run time).
struct GpuAttrs {
  std::optional<int> sm;        // compute capability major*10+minor
  std::optional<int> dev;       // NVML device index
  std::optional<int> rank;
  std::optional<int> gdr;       // GPUDirect RDMA support 0/1
  std::string model;            // "NVIDIA H100 80GB HBM3"; a label only
};

// One network port of a NIC: NCCL's <net> element.
struct NetPort {
  std::string name;             // "mlx5_0", "cxi0"
  std::optional<int> dev;       // NCCL's net device index
  std::optional<long long> speed_mbit_s;
  std::optional<int> port;
  std::optional<double> latency_us;
  std::optional<std::string> guid;  // as written ("0x..."); kept verbatim
  std::optional<int> maxconn;
  std::optional<int> gdr;
  std::optional<int> coll;
};

struct NicAttrs {
  std::string transport;        // "ibverbs", "slingshot-cxi", "ethernet"; "" unknown
  std::vector<NetPort> ports;
};

struct Vertex {
  VertexKind kind = VertexKind::pci;
  std::string bus_id;           // normal spelling (topology/bus_id.h); "" for CPUs, the
                                // network, and NICs/NVSwitches not visible on PCI
  int up = -1;                  // PCI tree: the upstream vertex (PCI switch or CPU); -1 none
  CpuAttrs cpu;                 // kind == cpu
  PciIds pci;                   // PCI-side kinds
  GpuAttrs gpu;                 // kind == gpu
  NicAttrs nic;                 // kind == nic
};

struct Link {
  int a = -1, b = -1;           // vertex indexes; for pcie, a is downstream of b
  LinkKind kind = LinkKind::pcie;
  double gb_s = 0;              // one direction, 10^9 B/s; 0 where unknown
  double latency_us = 0;
  int count = 0;                // nvlink, c2c: links bonded together
  double pcie_gt_s = 0;         // pcie: per-lane rate; 0 unknown
  int pcie_width = 0;           // pcie: lanes; 0 unknown
  std::string name;             // smp: "UPI", "xGMI", ...
};

class Graph {
 public:
  std::string source;           // "nccl-xml:FILE", "hwloc-xml:FILE", "preset:dgx-h100", ...
  std::vector<std::string> notes;  // what the builder could not place, and why

  const std::vector<Vertex>& vertices() const { return vertices_; }
  const std::vector<Link>& links() const { return links_; }
  const Vertex& vertex(int v) const { return vertices_.at(static_cast<std::size_t>(v)); }
  Vertex& vertex(int v) { return vertices_.at(static_cast<std::size_t>(v)); }
  const Link& link(int l) const { return links_.at(static_cast<std::size_t>(l)); }

  int add_vertex(Vertex v);
  // A CPU vertex for NUMA node numa_id; throws if one exists already.
  int add_cpu(const CpuAttrs& cpu);
  // Hangs child below parent (a PCI switch or a CPU) with a PCIe link of that rate and
  // width, bandwidth from NCCL's model.
  int connect_pcie(int child, int parent, double gt_s, int width);
  // A NIC with no PCI device of its own (NCCL's <nic> directly below <cpu>) joined to its
  // CPU with NCCL's unlimited LOC bandwidth.
  int connect_local(int nic, int cpu);
  // count NVLinks between a GPU and another GPU, an NVSwitch or a CPU, at the GPU's
  // per-link bandwidth (between two GPUs, the slower one's). Links to the same peer add up,
  // as NCCL's ncclTopoConnectNodes does.
  int connect_nvlink(int gpu, int remote, int count);
  // NVLink-C2C between a GPU and its CPU (Grace Hopper): count links of link_mb_s each.
  int connect_c2c(int gpu, int cpu, int count, double link_mb_s);
  // The socket interconnect between every pair of CPU vertices, at NCCL's inter-CPU
  // bandwidth; call once all CPUs are in.
  void connect_sockets();
  // Each NIC to the network vertex (created on first use), bandwidth the sum of its ports.
  void connect_network();
  // The NVSwitch vertex standing for all NVSwitches the GPUs cannot see on PCI (HGX H100
  // boards, VMs): one vertex, as NCCL has one NVS node; created on first use.
  int hidden_nvswitch();

  int find_bus_id(const std::string& bus_id) const;  // -1 if none
  int find_cpu(int numa_id) const;                   // -1 if none
  int network() const;                               // -1 if none
  // Vertexes of a kind in their display order: GPUs and NICs by NCCL dev index where known,
  // then bus id; CPUs by NUMA id; others by bus id.
  std::vector<int> of_kind(VertexKind kind) const;
  std::vector<int> links_of(int v) const;
  // Index of the first link of that kind joining a and b (either direction), or -1.
  int link_between(int a, int b, LinkKind kind) const;
  // The link from a PCI-side vertex to its upstream vertex, or -1.
  int up_link(int v) const;
  // The CPU a PCI-side vertex hangs from (following `up`), or -1.
  int cpu_of(int v) const;

  // "GPU0", "NIC1", "NUMA0", "NVS0", "PCI 0000:17:00.0", "NET": what tables print.
  std::string name_of(int v) const;
  // A NIC's name for people: its first port's name, else its bus id.
  std::string nic_name(int v) const;

 private:
  std::vector<Vertex> vertices_;
  std::vector<Link> links_;
};

// Every vertex and link with every attribute, one per line, sorted, so that two graphs
// built from different sources compare equal exactly when they describe the same machine
// in the same detail. Labels that no interchange format carries (CPU and GPU model
// strings, NIC transport) and the `notes` are left out.
std::string canonical_text(const Graph& g);

}  // namespace cairn::topology

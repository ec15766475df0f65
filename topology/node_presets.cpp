#include "topology/node_presets.h"

#include <cstdio>
#include <optional>

#include "common/error.h"
#include "probe/pci_class.h"

namespace cairn::topology {
namespace {

constexpr double kGen5 = 32.0;  // GT/s per lane
constexpr int kX16 = 16;
using probe::kVendorHpeCray, probe::kVendorMellanox, probe::kVendorNvidia;

std::string bus(int domain, int b, int dev = 0) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.0", domain, b, dev);
  return buf;
}

int add_device(Graph& g, VertexKind kind, const std::string& bus_id, std::uint32_t class_code, std::optional<int> vendor,
               int up) {
  Vertex v;
  v.kind = kind;
  v.bus_id = bus_id;
  v.pci.class_code = class_code;
  v.pci.vendor = vendor;
  int id = g.add_vertex(std::move(v));
  g.connect_pcie(id, up, kGen5, kX16);
  return id;
}

int add_gpu(Graph& g, const std::string& bus_id, const std::string& model, int up) {
  int id = add_device(g, VertexKind::gpu, bus_id, 0x030200, kVendorNvidia, up);
  g.vertex(id).gpu.sm = 90;
  g.vertex(id).gpu.model = model;
  return id;
}

int add_nic(Graph& g, const std::string& bus_id, std::uint32_t class_code, int vendor, const std::string& transport,
            const std::string& name, long long speed_mbit_s, int up) {
  int id = add_device(g, VertexKind::nic, bus_id, class_code, vendor, up);
  auto& nic = g.vertex(id).nic;
  nic.transport = transport;
  NetPort p;
  p.name = name;
  p.port = 1;
  p.speed_mbit_s = speed_mbit_s;
  nic.ports.push_back(p);
  return id;
}

int add_cpu(Graph& g, int numa, const std::string& cpus, const std::string& arch, const std::string& vendor,
            int family, int model_id, const std::string& model) {
  CpuAttrs c;
  c.numa_id = numa;
  c.cpus = cpus;
  c.arch = arch;
  c.vendor = vendor;
  c.family_id = family;
  c.model_id = model_id;
  c.model = model;
  return g.add_cpu(c);
}

int add_switch(Graph& g, const std::string& bus_id, int up) {
  return add_device(g, VertexKind::pci, bus_id, 0x060400, 0x1000, up);  // Broadcom PEX
}

// The CPU's root port a PCIe tree hangs from (its vendor id is the CPU maker's; left out).
int add_root_port(Graph& g, const std::string& bus_id, int up) {
  return add_device(g, VertexKind::pci, bus_id, 0x060400, std::nullopt, up);
}

// 2 x 56-core Xeon Platinum 8480C (Sapphire Rapids, family 6 model 0x8F), SMT on.
void dgx_cpus(Graph& g, std::vector<int>& cpus) {
  const char* model = "Intel(R) Xeon(R) Platinum 8480C";
  cpus = {add_cpu(g, 0, "0-55,112-167", "x86_64", "GenuineIntel", 6, 0x8F, model),
          add_cpu(g, 1, "56-111,168-223", "x86_64", "GenuineIntel", 6, 0x8F, model)};
}

Graph dgx_h100() {
  Graph g;
  g.source = "preset:dgx-h100";
  std::vector<int> cpus;
  dgx_cpus(g, cpus);
  // The GPUs' bus ids as a DGX H100 shows them; each GPU shares a PCIe switch (below its
  // own root port and host bridge) with one ConnectX-7.
  const int gpu_bus[8] = {0x18, 0x2a, 0x3a, 0x5d, 0x9a, 0xab, 0xba, 0xdb};
  // The four NVSwitch chips are not visible on PCI: one vertex, as in NCCL.
  int nvswitch = g.hidden_nvswitch();
  for (int i = 0; i < 8; ++i) {
    int b = gpu_bus[i];
    int root = add_root_port(g, bus(0, b - 4, 1), cpus[static_cast<std::size_t>(i / 4)]);
    int sw = add_switch(g, bus(0, b - 3), root);
    int gpu = add_gpu(g, bus(0, b), "NVIDIA H100 80GB HBM3", sw);
    add_nic(g, bus(0, b - 1), 0x020700, kVendorMellanox, "ibverbs", "mlx5_" + std::to_string(i), 400000, sw);
    g.connect_nvlink(gpu, nvswitch, 18);
  }
  g.connect_sockets();
  g.connect_network();
  return g;
}

Graph gh200_alps() {
  Graph g;
  g.source = "preset:gh200-alps";
  // Four Grace CPUs of 72 Neoverse-V2 cores, one NUMA node each (the GPUs' HBM shows as
  // four more, memory-only NUMA nodes, which carry no CPUs and so no CPU vertex).
  std::vector<int> cpus, gpus;
  for (int i = 0; i < 4; ++i) {
    cpus.push_back(add_cpu(g, i, std::to_string(72 * i) + "-" + std::to_string(72 * i + 71), "arm64", "NVIDIA", -1, -1,
                           "NVIDIA Grace (Neoverse-V2)"));
    // GH200 GPUs sit at 0009:01:00.0, 0019:01:00.0, ... below a root port of their Grace.
    int root = add_root_port(g, bus(0x0009 + 0x10 * i, 0), cpus.back());
    int gpu = add_gpu(g, bus(0x0009 + 0x10 * i, 1), "NVIDIA GH200 120GB", root);
    // NVLink-C2C: 900 GB/s both directions together, 450 GB/s each way (NVIDIA GH200 datasheet).
    g.connect_c2c(gpu, cpus.back(), 1, 450000);
    gpus.push_back(gpu);
    // The Cassini NIC on a PCIe Gen5 x16 root port of the same Grace.
    int nic_root = add_root_port(g, bus(0x0001 + 0x10 * i, 0), cpus.back());
    add_nic(g, bus(0x0001 + 0x10 * i, 1), 0x020000, kVendorHpeCray, "slingshot-cxi", "cxi" + std::to_string(i), 200000,
            nic_root);
  }
  // All-to-all NVLink: each GH200's 18 NVLink4 links split 6 / 6 / 6 over the other three.
  for (int a = 0; a < 4; ++a)
    for (int b = a + 1; b < 4; ++b) g.connect_nvlink(gpus[static_cast<std::size_t>(a)], gpus[static_cast<std::size_t>(b)], 6);
  g.connect_sockets();
  g.connect_network();
  return g;
}

Graph pcie_only() {
  Graph g;
  g.source = "preset:pcie-only";
  std::vector<int> cpus;
  dgx_cpus(g, cpus);
  for (int s = 0; s < 4; ++s) {
    int b = 0x10 + 0x20 * s + (s >= 2 ? 0x40 : 0);  // two switches per socket
    int root = add_root_port(g, bus(0, b, 1), cpus[static_cast<std::size_t>(s / 2)]);
    int sw = add_switch(g, bus(0, b + 1), root);
    add_gpu(g, bus(0, b + 3), "NVIDIA H100 PCIe", sw);
    add_gpu(g, bus(0, b + 4), "NVIDIA H100 PCIe", sw);
    if (s % 2 == 0)
      add_nic(g, bus(0, b + 2), 0x020700, kVendorMellanox, "ibverbs", "mlx5_" + std::to_string(s / 2), 400000, sw);
  }
  g.connect_sockets();
  g.connect_network();
  return g;
}

}  // namespace

std::vector<std::string> node_preset_names() { return {"dgx-h100", "gh200-alps", "pcie-only"}; }

Graph node_preset(const std::string& name) {
  if (name == "dgx-h100") return dgx_h100();
  if (name == "gh200-alps") return gh200_alps();
  if (name == "pcie-only") return pcie_only();
  std::string known;
  for (const auto& n : node_preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown node type \"" + name + "\"; known: " + known);
}

}  // namespace cairn::topology

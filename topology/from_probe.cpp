#include "topology/from_probe.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "probe/cpuset.h"
#include "topology/bus_id.h"
#include "topology/link_model.h"

namespace cairn::topology {
namespace {

using probe::NodeInfo;
using probe::PciDevice;
using probe::PciKind;

struct LinkSpec {
  double gt_s = 0;
  int width = 0;
  bool known() const { return gt_s > 0 || width > 0; }
};

// hwloc XML gives a link only as GB/s after encoding (lanes x per-lane rate). Find the
// rate and width that give it, preferring x16: the ambiguous cases (Gen4 x8 = Gen3 x16)
// have the same bandwidth in NCCL's model too, so the choice does not change any figure.
LinkSpec infer_from_bandwidth(double gb_s) {
  static constexpr int kWidths[] = {16, 8, 4, 2, 1, 32};
  static constexpr double kRates[] = {2.5, 5.0, 8.0, 16.0, 32.0, 64.0};
  for (int w : kWidths) {
    for (double r : kRates) {
      probe::PcieLink l;
      l.speed_gt_s = r;
      l.width = w;
      if (std::fabs(l.bandwidth_gb_s() - gb_s) <= 0.01 * gb_s) return {r, w};
    }
  }
  return {};
}

// The rate and width the graph records. The rate is the most the link can do: idle GPUs
// drop their link to 2.5 GT/s to save power, so the current rate says little (NCCL reads
// max_link_speed for the same reason). The width is the current one: a link trained
// narrower than it should stays that way, and that is a real bottleneck.
LinkSpec spec_of(const probe::PcieLink& l) {
  LinkSpec s;
  s.gt_s = l.max_speed_gt_s > 0 ? l.max_speed_gt_s : l.speed_gt_s;
  s.width = l.width > 0 ? l.width : l.max_width;
  if (s.known()) return s;
  if (l.reported_gb_s > 0) return infer_from_bandwidth(l.reported_gb_s);
  return {};
}

// Of two links in series, the one NCCL would rate slower; unknown links do not limit.
LinkSpec slower(const LinkSpec& a, const LinkSpec& b) {
  if (!a.known()) return b;
  if (!b.known()) return a;
  return nccl_pcie_bandwidth_gb_s(b.gt_s, b.width) < nccl_pcie_bandwidth_gb_s(a.gt_s, a.width) ? b : a;
}

std::string nccl_arch(const std::string& arch) {
  if (arch == "aarch64" || arch == "arm64") return "arm64";
  if (arch.rfind("ppc64", 0) == 0) return "ppc64";
  if (arch == "x86_64") return "x86_64";
  return "";
}

// The CPUID vendor string from the model name (NodeInfo keeps only the name), for the
// architecture that has one; on arm64 "NVIDIA" marks a Grace (NCCL reads no vendor there).
std::string cpu_vendor(const std::string& model, const std::string& nccl_arch) {
  if (nccl_arch == "x86_64") {
    if (model.find("Intel") != std::string::npos) return "GenuineIntel";
    if (model.find("AMD") != std::string::npos) return "AuthenticAMD";
  }
  if (nccl_arch == "arm64" && (model.find("Grace") != std::string::npos || model.find("Neoverse-V2") != std::string::npos))
    return "NVIDIA";
  return "";
}

// "248a:0703:001e:39fe" (sysfs, hwloc) -> "0x248a0703001e39fe" (NCCL's <net guid>).
std::string nccl_guid(const std::string& guid) {
  std::string hex;
  for (char c : guid)
    if (c != ':') hex += c;
  return hex.empty() ? "" : "0x" + hex;
}

class Builder {
 public:
  explicit Builder(const NodeInfo& node) : node_(node) {}

  Graph build() {
    g_.source = node_.source;
    add_cpus();
    index_pci();
    add_pci_tree();
    add_devices_outside_tree();
    add_nvlinks();
    g_.connect_sockets();
    g_.connect_network();
    return std::move(g_);
  }

 private:
  void add_cpus() {
    for (const auto& n : node_.numa) {
      if (n.cpuset.empty()) continue;  // memory-only (GPU memory, CXL): no CPU vertex
      CpuAttrs c;
      c.numa_id = n.os_index;
      c.cpus = n.cpuset;
      c.arch = nccl_arch(node_.cpu.arch);
      c.vendor = cpu_vendor(node_.cpu.model, c.arch);
      c.model = node_.cpu.model;
      g_.add_cpu(c);
    }
    if (g_.of_kind(VertexKind::cpu).empty()) {
      CpuAttrs c;
      c.numa_id = 0;
      c.arch = nccl_arch(node_.cpu.arch);
      c.vendor = cpu_vendor(node_.cpu.model, c.arch);
      c.model = node_.cpu.model;
      g_.add_cpu(c);
      g_.notes.push_back("no NUMA node with CPUs was reported; all devices hang from NUMA node 0");
    }
  }

  // The CPU vertex for a device's locality: its NUMA node, else the node its CPU set
  // falls in, else the only one.
  int cpu_for(int numa_node, const std::string& cpuset, const std::string& what) {
    if (int c = g_.find_cpu(numa_node); c >= 0) return c;
    auto cpus = g_.of_kind(VertexKind::cpu);
    if (auto set = probe::CpuSet::from_list(cpuset); set && !set->empty()) {
      for (int c : cpus) {
        auto mine = probe::CpuSet::from_list(g_.vertex(c).cpu.cpus);
        if (mine && mine->intersects(*set)) return c;
      }
    }
    if (cpus.size() > 1) g_.notes.push_back(what + ": NUMA locality unknown; placed on " + g_.name_of(cpus.front()));
    return cpus.front();
  }

  void index_pci() {
    for (std::size_t i = 0; i < node_.pci.size(); ++i) by_bus_[node_.pci[i].bus_id] = static_cast<int>(i);
    for (std::size_t i = 0; i < node_.pci.size(); ++i) {
      int p = parent_of(static_cast<int>(i));
      if (p >= 0) children_[p].push_back(static_cast<int>(i));
    }
    for (const auto& n : node_.nics) nic_bus_.insert(n.bus_id);
    for (const auto& gp : node_.gpus) gpu_bus_.insert(gp.bus_id);
    useful_.assign(node_.pci.size(), -1);
  }

  int parent_of(int i) const {
    const auto& p = node_.pci[static_cast<std::size_t>(i)].parent_bus_id;
    auto it = by_bus_.find(p);
    return p.empty() || it == by_bus_.end() ? -1 : it->second;
  }

  // A device the graph keeps: a GPU, a NIC the probe named, an NVSwitch.
  bool endpoint(int i) const {
    const auto& d = node_.pci[static_cast<std::size_t>(i)];
    switch (d.kind) {
      case PciKind::gpu: return true;
      case PciKind::nvswitch: return true;
      case PciKind::nic: return nic_bus_.count(d.bus_id) > 0;
      default: return false;
    }
  }

  bool has_useful(int i) {
    auto& u = useful_[static_cast<std::size_t>(i)];
    if (u >= 0) return u;
    u = 0;  // guards against a cycle in a corrupt tree
    bool any = endpoint(i);
    for (int c : children_[i]) any = has_useful(c) || any;
    u = any;
    return any;
  }

  // Branches below a bridge that lead to kept devices; functions of one device count once.
  int useful_branches(int i) {
    std::set<std::string> seen;
    for (int c : children_[i]) {
      if (!has_useful(c)) continue;
      const auto& d = node_.pci[static_cast<std::size_t>(c)];
      seen.insert(d.kind == PciKind::bridge ? d.bus_id : device_of(d.bus_id));
    }
    return static_cast<int>(seen.size());
  }

  bool kept(int i) {
    const auto& d = node_.pci[static_cast<std::size_t>(i)];
    if (!has_useful(i)) return false;
    if (d.kind != PciKind::bridge) return endpoint(i);
    return parent_of(i) < 0 || useful_branches(i) >= 2;
  }

  Vertex pci_vertex(const PciDevice& d) const {
    Vertex v;
    v.kind = d.kind == PciKind::bridge ? VertexKind::pci
             : d.kind == PciKind::nvswitch ? VertexKind::nvswitch
             : d.kind == PciKind::gpu ? VertexKind::gpu
             : VertexKind::nic;
    v.bus_id = normalize_bus_id(d.bus_id).value_or(d.bus_id);
    v.pci.class_code = d.class_id << 8;
    v.pci.vendor = d.vendor_id;
    v.pci.device = d.device_id;
    // The class is how an NCCL topology file tells kinds apart (topology/nccl_xml.h). An
    // NVSwitch is "other bridge" 0x068000, the class NCCL maps to its NVS vertex, also where
    // hwloc lost it (one NVSwitch of the DGX-2 file reads class 0000); a GPU found through
    // its memory node may hide its class too.
    if (v.kind == VertexKind::nvswitch) v.pci.class_code = 0x068000;
    if (v.kind == VertexKind::gpu && (v.pci.class_code >> 16) != 0x03) v.pci.class_code = 0x030200;
    return v;
  }

  void add_pci_tree() {
    // node.pci lists parents before children, so a kept ancestor exists before its children.
    for (std::size_t i = 0; i < node_.pci.size(); ++i) {
      int idx = static_cast<int>(i);
      if (!kept(idx)) continue;
      const auto& d = node_.pci[i];
      Vertex v = pci_vertex(d);
      if (g_.find_bus_id(v.bus_id) >= 0) {
        g_.notes.push_back("PCI bus id " + v.bus_id + " appears twice in the source; kept the first");
        continue;
      }
      if (v.kind == VertexKind::gpu) fill_gpu(v, d.bus_id);
      if (v.kind == VertexKind::nic) fill_nic(v, d.bus_id);
      int vid = g_.add_vertex(std::move(v));
      vertex_of_pci_[idx] = vid;
      // Fold the pass-through bridges between this device and its kept ancestor into the link.
      LinkSpec spec = spec_of(d.link);
      int p = parent_of(idx);
      while (p >= 0 && !vertex_of_pci_.count(p)) {
        spec = slower(spec, spec_of(node_.pci[static_cast<std::size_t>(p)].link));
        p = parent_of(p);
      }
      int up = p >= 0 ? vertex_of_pci_[p] : cpu_for(d.numa_node, d.cpuset, "PCI device " + d.bus_id);
      g_.connect_pcie(vid, up, spec.gt_s, spec.width);
    }
  }

  void fill_gpu(Vertex& v, const std::string& bus_id) const {
    for (const auto& gp : node_.gpus) {
      if (gp.bus_id != bus_id) continue;
      if (gp.cc_major > 0) v.gpu.sm = gp.cc_major * 10 + gp.cc_minor;
      v.gpu.model = gp.name;
    }
  }

  void fill_nic(Vertex& v, const std::string& bus_id) const {
    for (const auto& n : node_.nics) {
      if (n.bus_id != bus_id) continue;
      if (v.nic.transport.empty()) v.nic.transport = n.transport;
      if (n.ports.empty()) {
        NetPort p;
        p.name = n.name;
        if (!n.node_guid.empty()) p.guid = nccl_guid(n.node_guid);
        v.nic.ports.push_back(p);
      }
      for (const auto& port : n.ports) {
        NetPort p;
        p.name = n.name;
        p.port = port.port;
        if (port.rate_gbit_s > 0) p.speed_mbit_s = std::llround(port.rate_gbit_s * 1000);
        if (!n.node_guid.empty()) p.guid = nccl_guid(n.node_guid);
        v.nic.ports.push_back(p);
      }
    }
  }

  // GPUs and NICs the probe saw but the PCI tree does not hold (CUDA/NVML or verbs
  // without hwloc's I/O tree): hang them from their NUMA node's CPU.
  void add_devices_outside_tree() {
    for (const auto& gp : node_.gpus) {
      auto bus = normalize_bus_id(gp.bus_id);
      if (!bus || g_.find_bus_id(*bus) >= 0) continue;
      Vertex v;
      v.kind = VertexKind::gpu;
      v.bus_id = *bus;
      v.pci.class_code = 0x030200;  // NVIDIA's data-centre GPUs are 3D controllers
      fill_gpu(v, gp.bus_id);
      int vid = g_.add_vertex(std::move(v));
      LinkSpec spec = spec_of(gp.pcie);
      g_.connect_pcie(vid, cpu_for(gp.numa_node, gp.cpuset, "GPU " + gp.bus_id), spec.gt_s, spec.width);
    }
    std::set<std::string> done;
    for (const auto& n : node_.nics) {
      if (done.count(n.bus_id)) continue;
      done.insert(n.bus_id);
      auto bus = normalize_bus_id(n.bus_id);
      if (bus && g_.find_bus_id(*bus) >= 0) continue;
      Vertex v;
      v.kind = VertexKind::nic;
      fill_nic(v, n.bus_id);
      int cpu = cpu_for(n.numa_node, n.cpuset, "NIC " + n.name);
      if (bus) {
        v.bus_id = *bus;
        v.pci.class_code = 0x020000;
        g_.connect_pcie(g_.add_vertex(std::move(v)), cpu, 0, 0);
      } else {
        g_.connect_local(g_.add_vertex(std::move(v)), cpu);
      }
    }
  }

  void add_nvlinks() {
    std::map<std::pair<int, int>, int> gpu_pairs;  // both GPUs report the same links
    for (const auto& gp : node_.gpus) {
      int gv = g_.find_bus_id(normalize_bus_id(gp.bus_id).value_or(""));
      if (gv < 0) continue;
      for (const auto& peer : gp.nvlink_peers) {
        // hwloc's matrix gives MB/s; 25 GB/s a link for NVLink 2-4 (one direction).
        int links = peer.links > 0 ? peer.links : std::max(1, static_cast<int>(std::lround(peer.bandwidth_gb_s / 25.0)));
        int remote = g_.find_bus_id(normalize_bus_id(peer.remote_bus_id).value_or(""));
        const Vertex* rv = remote >= 0 ? &g_.vertex(remote) : nullptr;
        if (peer.remote_kind == "cpu") {
          int cpu = g_.cpu_of(gv);
          if (cpu < 0) continue;
          if (g_.vertex(cpu).cpu.arch == "arm64")
            g_.connect_c2c(gv, cpu, links, peer.bandwidth_gb_s * 1000.0 / links);
          else
            g_.connect_nvlink(gv, cpu, links);
        } else if (rv && rv->kind == VertexKind::gpu) {
          auto key = std::minmax(gv, remote);
          gpu_pairs[{key.first, key.second}] = std::max(gpu_pairs[{key.first, key.second}], links);
        } else if (rv && rv->kind == VertexKind::nvswitch) {
          g_.connect_nvlink(gv, remote, links);
        } else {
          // NCCL's rule: a peer the GPU cannot see on PCI is taken to be an NVSwitch.
          g_.connect_nvlink(gv, g_.hidden_nvswitch(), links);
        }
      }
    }
    for (const auto& [pair, links] : gpu_pairs) g_.connect_nvlink(pair.first, pair.second, links);
  }

  const NodeInfo& node_;
  Graph g_;
  std::map<std::string, int> by_bus_;
  std::map<int, std::vector<int>> children_;
  std::vector<int> useful_;
  std::set<std::string> nic_bus_, gpu_bus_;
  std::map<int, int> vertex_of_pci_;
};

}  // namespace

Graph graph_from_probe(const probe::NodeInfo& node) { return Builder(node).build(); }

}  // namespace cairn::topology

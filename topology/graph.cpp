#include "topology/graph.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <tuple>

#include "common/error.h"
#include "topology/link_model.h"

namespace cairn::topology {

const char* to_string(VertexKind kind) {
  switch (kind) {
    case VertexKind::cpu: return "cpu";
    case VertexKind::pci: return "pci";
    case VertexKind::gpu: return "gpu";
    case VertexKind::nic: return "nic";
    case VertexKind::nvswitch: return "nvswitch";
    case VertexKind::net: return "net";
  }
  return "?";
}

const char* to_string(LinkKind kind) {
  switch (kind) {
    case LinkKind::pcie: return "pcie";
    case LinkKind::nvlink: return "nvlink";
    case LinkKind::c2c: return "c2c";
    case LinkKind::smp: return "smp";
    case LinkKind::net: return "net";
  }
  return "?";
}

int Graph::add_vertex(Vertex v) {
  vertices_.push_back(std::move(v));
  return static_cast<int>(vertices_.size() - 1);
}

int Graph::add_cpu(const CpuAttrs& cpu) {
  if (find_cpu(cpu.numa_id) >= 0)
    throw Error("topology: NUMA node " + std::to_string(cpu.numa_id) + " appears twice");
  Vertex v;
  v.kind = VertexKind::cpu;
  v.cpu = cpu;
  return add_vertex(std::move(v));
}

int Graph::connect_pcie(int child, int parent, double gt_s, int width) {
  auto& c = vertex(child);
  if (c.up >= 0) throw Error("topology: " + name_of(child) + " has two upstream PCI links");
  c.up = parent;
  Link l;
  l.a = child;
  l.b = parent;
  l.kind = LinkKind::pcie;
  l.pcie_gt_s = gt_s;
  l.pcie_width = width;
  l.gb_s = nccl_pcie_bandwidth_gb_s(gt_s, width);
  l.latency_us = kPciLatencyUs;
  links_.push_back(l);
  return static_cast<int>(links_.size() - 1);
}

int Graph::connect_local(int nic, int cpu) {
  int l = connect_pcie(nic, cpu, 0, 0);
  links_[static_cast<std::size_t>(l)].gb_s = kLocBandwidthGbS;
  links_[static_cast<std::size_t>(l)].latency_us = 0;
  return l;
}

int Graph::connect_nvlink(int gpu, int remote, int count) {
  double per_link = nccl_nvlink_bandwidth_gb_s(vertex(gpu).gpu.sm.value_or(0));
  // NCCL rates each direction by its sending GPU; one undirected link takes the slower.
  if (vertex(remote).kind == VertexKind::gpu)
    per_link = std::min(per_link, nccl_nvlink_bandwidth_gb_s(vertex(remote).gpu.sm.value_or(0)));
  int existing = link_between(gpu, remote, LinkKind::nvlink);
  if (existing >= 0) {
    auto& l = links_[static_cast<std::size_t>(existing)];
    l.count += count;
    l.gb_s = l.count * per_link;
    return existing;
  }
  Link l;
  l.a = gpu;
  l.b = remote;
  l.kind = LinkKind::nvlink;
  l.count = count;
  l.gb_s = count * per_link;
  l.latency_us = kNvLinkLatencyUs;
  links_.push_back(l);
  return static_cast<int>(links_.size() - 1);
}

int Graph::connect_c2c(int gpu, int cpu, int count, double link_mb_s) {
  Link l;
  l.a = gpu;
  l.b = cpu;
  l.kind = LinkKind::c2c;
  l.count = count;
  // NCCL's ncclTopoAddC2c: bw (MB/s per link) x count / 1000.
  l.gb_s = link_mb_s * count / 1000.0;
  l.latency_us = kNvLinkLatencyUs;
  links_.push_back(l);
  return static_cast<int>(links_.size() - 1);
}

void Graph::connect_sockets() {
  auto cpus = of_kind(VertexKind::cpu);
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    for (std::size_t j = i + 1; j < cpus.size(); ++j) {
      if (link_between(cpus[i], cpus[j], LinkKind::smp) >= 0) continue;
      const auto& c = vertex(cpus[i]).cpu;
      Link l;
      l.a = cpus[i];
      l.b = cpus[j];
      l.kind = LinkKind::smp;
      l.gb_s = nccl_inter_cpu_bandwidth_gb_s(c.arch, c.vendor, c.family_id, c.model_id);
      l.latency_us = kPciLatencyUs;
      l.name = socket_interconnect_name(c.arch, c.vendor, c.family_id, c.model_id);
      links_.push_back(l);
    }
  }
}

void Graph::connect_network() {
  auto nics = of_kind(VertexKind::nic);
  if (nics.empty()) return;
  int net = network();
  if (net < 0) {
    Vertex v;
    v.kind = VertexKind::net;
    net = add_vertex(std::move(v));
  }
  for (int n : nics) {
    if (link_between(n, net, LinkKind::net) >= 0) continue;
    Link l;
    l.a = n;
    l.b = net;
    l.kind = LinkKind::net;
    l.latency_us = kNetLatencyUs;
    for (const auto& p : vertex(n).nic.ports) {
      if (p.speed_mbit_s) l.gb_s += nccl_net_bandwidth_gb_s(*p.speed_mbit_s);
      if (p.latency_us && *p.latency_us > 0) l.latency_us = *p.latency_us;
    }
    links_.push_back(l);
  }
}

int Graph::hidden_nvswitch() {
  for (std::size_t i = 0; i < vertices_.size(); ++i)
    if (vertices_[i].kind == VertexKind::nvswitch && vertices_[i].bus_id.empty()) return static_cast<int>(i);
  Vertex v;
  v.kind = VertexKind::nvswitch;
  v.pci.class_code = 0x068000;  // NCCL's class for NVSwitch (kvDictPciClass)
  return add_vertex(std::move(v));
}

int Graph::find_bus_id(const std::string& bus_id) const {
  if (bus_id.empty()) return -1;
  for (std::size_t i = 0; i < vertices_.size(); ++i)
    if (vertices_[i].bus_id == bus_id) return static_cast<int>(i);
  return -1;
}

int Graph::find_cpu(int numa_id) const {
  for (std::size_t i = 0; i < vertices_.size(); ++i)
    if (vertices_[i].kind == VertexKind::cpu && vertices_[i].cpu.numa_id == numa_id) return static_cast<int>(i);
  return -1;
}

int Graph::network() const {
  for (std::size_t i = 0; i < vertices_.size(); ++i)
    if (vertices_[i].kind == VertexKind::net) return static_cast<int>(i);
  return -1;
}

std::vector<int> Graph::of_kind(VertexKind kind) const {
  std::vector<int> out;
  for (std::size_t i = 0; i < vertices_.size(); ++i)
    if (vertices_[i].kind == kind) out.push_back(static_cast<int>(i));
  auto key = [&](int v) {
    const auto& x = vertex(v);
    int dev = INT_MAX;
    if (x.kind == VertexKind::gpu && x.gpu.dev) dev = *x.gpu.dev;
    if (x.kind == VertexKind::nic && !x.nic.ports.empty() && x.nic.ports.front().dev) dev = *x.nic.ports.front().dev;
    if (x.kind == VertexKind::cpu) dev = x.cpu.numa_id;
    std::string name = x.kind == VertexKind::nic && !x.nic.ports.empty() ? x.nic.ports.front().name : "";
    return std::make_tuple(dev, x.bus_id, name, v);
  };
  std::sort(out.begin(), out.end(), [&](int a, int b) { return key(a) < key(b); });
  return out;
}

std::vector<int> Graph::links_of(int v) const {
  std::vector<int> out;
  for (std::size_t i = 0; i < links_.size(); ++i)
    if (links_[i].a == v || links_[i].b == v) out.push_back(static_cast<int>(i));
  return out;
}

int Graph::link_between(int a, int b, LinkKind kind) const {
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const auto& l = links_[i];
    if (l.kind == kind && ((l.a == a && l.b == b) || (l.a == b && l.b == a))) return static_cast<int>(i);
  }
  return -1;
}

int Graph::up_link(int v) const {
  int up = vertex(v).up;
  if (up < 0) return -1;
  for (std::size_t i = 0; i < links_.size(); ++i)
    if (links_[i].kind == LinkKind::pcie && links_[i].a == v && links_[i].b == up) return static_cast<int>(i);
  return -1;
}

int Graph::cpu_of(int v) const {
  // The tree is acyclic by construction (connect_pcie refuses a second parent), but bound
  // the walk anyway so a corrupted graph cannot hang a query.
  for (std::size_t steps = 0; v >= 0 && steps <= vertices_.size(); ++steps) {
    if (vertex(v).kind == VertexKind::cpu) return v;
    v = vertex(v).up;
  }
  return -1;
}

std::string Graph::name_of(int v) const {
  const auto& x = vertex(v);
  switch (x.kind) {
    case VertexKind::cpu: return "NUMA" + std::to_string(x.cpu.numa_id);
    case VertexKind::pci: return "PCI " + x.bus_id;
    case VertexKind::net: return "NET";
    case VertexKind::gpu:
    case VertexKind::nic:
    case VertexKind::nvswitch: {
      auto all = of_kind(x.kind);
      auto pos = std::find(all.begin(), all.end(), v) - all.begin();
      const char* prefix = x.kind == VertexKind::gpu ? "GPU" : x.kind == VertexKind::nic ? "NIC" : "NVS";
      return prefix + std::to_string(pos);
    }
  }
  return "?";
}

std::string Graph::nic_name(int v) const {
  const auto& x = vertex(v);
  if (!x.nic.ports.empty() && !x.nic.ports.front().name.empty()) return x.nic.ports.front().name;
  return x.bus_id.empty() ? name_of(v) : x.bus_id;
}

namespace {

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

template <typename T>
std::string opt(const char* key, const std::optional<T>& v) {
  if (!v) return "";
  if constexpr (std::is_same_v<T, std::string>) return std::string(" ") + key + "=" + *v;
  else if constexpr (std::is_floating_point_v<T>) return std::string(" ") + key + "=" + num(*v);
  else return std::string(" ") + key + "=" + std::to_string(*v);
}

// A name for a vertex that does not depend on its index or on display order.
std::string key_of(const Graph& g, int v) {
  const auto& x = g.vertex(v);
  std::string k = to_string(x.kind);
  if (x.kind == VertexKind::cpu) return k + ":numa" + std::to_string(x.cpu.numa_id);
  if (!x.bus_id.empty()) return k + ":" + x.bus_id;
  if (x.kind == VertexKind::nic) {
    int cpu = g.cpu_of(v);
    std::string where = cpu >= 0 ? "numa" + std::to_string(g.vertex(cpu).cpu.numa_id) : "?";
    return k + ":" + where + ":" + g.nic_name(v);
  }
  return k;
}

}  // namespace

std::string canonical_text(const Graph& g) {
  std::vector<std::string> lines;
  for (int v = 0; v < static_cast<int>(g.vertices().size()); ++v) {
    const auto& x = g.vertex(v);
    std::string s = "V " + key_of(g, v);
    if (x.up >= 0) s += " up=" + key_of(g, x.up);
    switch (x.kind) {
      case VertexKind::cpu:
        s += " cpus=" + x.cpu.cpus + " arch=" + x.cpu.arch + " vendor=" + x.cpu.vendor +
             " family=" + std::to_string(x.cpu.family_id) + " model=" + std::to_string(x.cpu.model_id);
        break;
      case VertexKind::net:
        break;
      default: {
        char cls[16];
        std::snprintf(cls, sizeof cls, "0x%06x", x.pci.class_code);
        s += std::string(" class=") + cls + opt("vendor", x.pci.vendor) + opt("device", x.pci.device) +
             opt("subsystem_vendor", x.pci.subsystem_vendor) + opt("subsystem_device", x.pci.subsystem_device);
      }
    }
    if (x.kind == VertexKind::gpu)
      s += opt("sm", x.gpu.sm) + opt("dev", x.gpu.dev) + opt("rank", x.gpu.rank) + opt("gdr", x.gpu.gdr);
    if (x.kind == VertexKind::nic) {
      for (const auto& p : x.nic.ports)
        s += " port{name=" + p.name + opt("dev", p.dev) + opt("speed", p.speed_mbit_s) + opt("port", p.port) +
             opt("latency", p.latency_us) + opt("guid", p.guid) + opt("maxconn", p.maxconn) + opt("gdr", p.gdr) +
             opt("coll", p.coll) + "}";
    }
    lines.push_back(s);
  }
  for (const auto& l : g.links()) {
    std::string a = key_of(g, l.a), b = key_of(g, l.b);
    if (l.kind != LinkKind::pcie && b < a) std::swap(a, b);
    std::string s = std::string("L ") + to_string(l.kind) + " " + a + " " + b + " gb_s=" + num(l.gb_s) +
                    " latency_us=" + num(l.latency_us);
    if (l.kind == LinkKind::pcie) s += " gt_s=" + num(l.pcie_gt_s) + " width=" + std::to_string(l.pcie_width);
    if (l.count) s += " count=" + std::to_string(l.count);
    if (!l.name.empty()) s += " name=" + l.name;
    lines.push_back(s);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& s : lines) out += s + "\n";
  return out;
}

}  // namespace cairn::topology

#include "topology/paths.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>

#include "common/error.h"
#include "topology/bus_id.h"

namespace cairn::topology {
namespace {

// [v, up(v), up(up(v)), ..., its CPU]
std::vector<int> chain_to_cpu(const Graph& g, int v) {
  std::vector<int> chain;
  for (int x = v; x >= 0; x = g.vertex(x).up) {
    chain.push_back(x);
    if (g.vertex(x).kind == VertexKind::cpu) return chain;
    if (chain.size() > g.vertices().size()) break;
  }
  throw Error("topology: " + g.name_of(v) + " does not hang from a CPU; no path to it");
}

void finish(const Graph& g, Path& p) {
  p.bottleneck_gb_s = p.links.empty() ? 0 : std::numeric_limits<double>::infinity();
  p.latency_us = 0;
  for (int l : p.links) {
    p.bottleneck_gb_s = std::min(p.bottleneck_gb_s, g.link(l).gb_s);
    p.latency_us += g.link(l).latency_us;
  }
}

// NVLinks from a GPU to NVSwitches: total count, total bandwidth, and each link.
struct SwitchLinks {
  int count = 0;
  double gb_s = 0;
  std::vector<int> links;
};

SwitchLinks nvswitch_links(const Graph& g, int gpu) {
  SwitchLinks s;
  for (int l : g.links_of(gpu)) {
    const auto& link = g.link(l);
    int other = link.a == gpu ? link.b : link.a;
    if (link.kind != LinkKind::nvlink || g.vertex(other).kind != VertexKind::nvswitch) continue;
    s.count += link.count;
    s.gb_s += link.gb_s;
    s.links.push_back(l);
  }
  return s;
}

bool nvlink_path(const Graph& g, int a, int b, Path& p) {
  if (int l = g.link_between(a, b, LinkKind::nvlink); l >= 0) {
    p.cls = PathClass::nvlink;
    p.nvlinks = g.link(l).count;
    p.vertices = {a, b};
    p.links = {l};
    finish(g, p);
    return true;
  }
  if (g.vertex(a).kind != VertexKind::gpu || g.vertex(b).kind != VertexKind::gpu) return false;
  auto sa = nvswitch_links(g, a), sb = nvswitch_links(g, b);
  if (sa.count == 0 || sb.count == 0) return false;
  p.cls = PathClass::nvlink;
  p.nvlinks = std::min(sa.count, sb.count);
  // Route through a switch both reach where there is one (a single board), else across the
  // fabric from a's first switch to b's.
  int la = sa.links.front(), lb = sb.links.front();
  for (int x : sa.links)
    for (int y : sb.links) {
      auto sw = [&](int l, int gpu) { return g.link(l).a == gpu ? g.link(l).b : g.link(l).a; };
      if (sw(x, a) == sw(y, b)) {
        la = x;
        lb = y;
      }
    }
  int swa = g.link(la).a == a ? g.link(la).b : g.link(la).a;
  int swb = g.link(lb).a == b ? g.link(lb).b : g.link(lb).a;
  p.vertices = {a, swa};
  if (swb != swa) p.vertices.push_back(swb);
  p.vertices.push_back(b);
  p.links = {la, lb};
  finish(g, p);
  // The fabric is non-blocking; what limits a pair is the smaller side's total.
  p.bottleneck_gb_s = std::min(sa.gb_s, sb.gb_s);
  return true;
}

}  // namespace

const char* to_string(PathClass c) {
  switch (c) {
    case PathClass::self: return "X";
    case PathClass::nvlink: return "NV";
    case PathClass::pix: return "PIX";
    case PathClass::pxb: return "PXB";
    case PathClass::phb: return "PHB";
    case PathClass::node: return "NODE";
    case PathClass::sys: return "SYS";
  }
  return "?";
}

std::string to_string(const Path& p) {
  if (p.cls == PathClass::nvlink) return "NV" + std::to_string(p.nvlinks);
  return to_string(p.cls);
}

Path find_path(const Graph& g, int a, int b) {
  Path p;
  if (a == b) {
    p.cls = PathClass::self;
    p.vertices = {a};
    return p;
  }
  if (nvlink_path(g, a, b, p)) return p;

  auto ca = chain_to_cpu(g, a), cb = chain_to_cpu(g, b);
  // Lowest common ancestor in the PCI tree (or the shared CPU).
  std::size_t ia = ca.size(), ib = cb.size();
  for (std::size_t i = 0; i < ca.size() && ia == ca.size(); ++i)
    for (std::size_t j = 0; j < cb.size(); ++j)
      if (ca[i] == cb[j]) {
        ia = i;
        ib = j;
        break;
      }
  bool common = ia < ca.size();

  auto up_links = [&](const std::vector<int>& chain, std::size_t upto) {
    std::vector<int> ls;
    for (std::size_t i = 0; i < upto; ++i) ls.push_back(g.up_link(chain[i]));
    return ls;
  };

  if (common) {
    int lca = ca[ia];
    p.vertices.assign(ca.begin(), ca.begin() + static_cast<long>(ia) + 1);
    for (std::size_t j = ib; j-- > 0;) p.vertices.push_back(cb[j]);
    p.links = up_links(ca, ia);
    auto down = up_links(cb, ib);
    p.links.insert(p.links.end(), down.rbegin(), down.rend());
    if (g.vertex(lca).kind == VertexKind::cpu && ia > 0 && ib > 0) {
      // Both hang from one CPU: one host bridge (same root bus) or two.
      const auto& ta = g.vertex(ca[ia - 1]).bus_id;
      const auto& tb = g.vertex(cb[ib - 1]).bus_id;
      bool same_root = !ta.empty() && !tb.empty() && root_bus_of(ta) == root_bus_of(tb);
      p.cls = same_root ? PathClass::phb : PathClass::node;
    } else if (g.vertex(lca).kind == VertexKind::cpu) {
      p.cls = PathClass::phb;  // a device and the CPU it hangs from
    } else {
      int switches = 0;
      for (std::size_t i = 1; i + 1 < p.vertices.size(); ++i)
        switches += g.vertex(p.vertices[i]).kind == VertexKind::pci;
      p.cls = switches <= 1 ? PathClass::pix : PathClass::pxb;
    }
  } else {
    int smp = g.link_between(ca.back(), cb.back(), LinkKind::smp);
    if (smp < 0)
      throw Error("topology: no socket interconnect between " + g.name_of(ca.back()) + " and " + g.name_of(cb.back()));
    p.cls = PathClass::sys;
    p.vertices = ca;
    p.vertices.insert(p.vertices.end(), cb.rbegin(), cb.rend());
    p.links = up_links(ca, ca.size() - 1);
    p.links.push_back(smp);
    auto down = up_links(cb, cb.size() - 1);
    p.links.insert(p.links.end(), down.rbegin(), down.rend());
  }
  finish(g, p);
  return p;
}

std::vector<NicChoice> best_nics(const Graph& g) {
  auto gpus = g.of_kind(VertexKind::gpu), nics = g.of_kind(VertexKind::nic);
  std::vector<NicChoice> out;
  // Collectives go over RDMA NICs (verbs, Slingshot's cxi) where there are any; a 1 GbE
  // management port is never the answer then, however close it sits.
  std::vector<int> rdma;
  for (int n : nics) {
    const auto& t = g.vertex(n).nic.transport;
    if (t == "ibverbs" || t == "slingshot-cxi") rdma.push_back(n);
  }
  if (!rdma.empty()) nics = rdma;
  if (nics.empty()) return out;
  // For each GPU the NICs tied for best on (class, bandwidth).
  std::vector<std::vector<std::pair<int, Path>>> best(gpus.size());
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    for (int n : nics) {
      Path p = find_path(g, gpus[i], n);
      auto& b = best[i];
      auto better = [&](const Path& x, const Path& y) {
        if (x.cls != y.cls) return x.cls < y.cls;
        return x.bottleneck_gb_s > y.bottleneck_gb_s + 1e-9;
      };
      if (b.empty() || better(p, b.front().second)) {
        b.clear();
        b.emplace_back(n, p);
      } else if (!better(b.front().second, p)) {
        b.emplace_back(n, p);
      }
    }
  }
  // GPUs with the fewest equally good NICs choose first, each taking the least used.
  std::vector<std::size_t> order(gpus.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return best[x].size() < best[y].size(); });
  std::map<int, int> load;
  out.resize(gpus.size());
  for (std::size_t i : order) {
    const auto* pick = &best[i].front();
    for (const auto& c : best[i])
      if (load[c.first] < load[pick->first]) pick = &c;
    ++load[pick->first];
    out[i] = {gpus[i], pick->first, pick->second};
  }
  return out;
}

std::string gpu_cpus(const Graph& g, int gpu) {
  int cpu = g.cpu_of(gpu);
  return cpu < 0 ? "" : g.vertex(cpu).cpu.cpus;
}

int gpu_numa(const Graph& g, int gpu) {
  int cpu = g.cpu_of(gpu);
  return cpu < 0 ? -1 : g.vertex(cpu).cpu.numa_id;
}

std::string format_matrix(const Graph& g) {
  auto gpus = g.of_kind(VertexKind::gpu), nics = g.of_kind(VertexKind::nic);
  std::vector<int> devs = gpus;
  devs.insert(devs.end(), nics.begin(), nics.end());
  std::vector<std::string> names;
  std::size_t cell = 4;
  for (int d : devs) {
    names.push_back(g.name_of(d));
    cell = std::max(cell, names.back().size());
  }
  std::vector<std::vector<std::string>> cells(devs.size(), std::vector<std::string>(devs.size()));
  for (std::size_t i = 0; i < devs.size(); ++i)
    for (std::size_t j = 0; j < devs.size(); ++j) {
      cells[i][j] = to_string(find_path(g, devs[i], devs[j]));
      cell = std::max(cell, cells[i][j].size());
    }
  cell += 1;
  std::size_t label = cell + 1;
  auto pad = [](std::string s, std::size_t w) {
    if (s.size() < w) s += std::string(w - s.size(), ' ');
    return s;
  };

  std::size_t affinity_width = 12;  // "CPU Affinity"
  for (int gp : gpus) affinity_width = std::max(affinity_width, gpu_cpus(g, gp).size());
  const std::size_t numa_width = 13;  // "NUMA Affinity"
  bool inline_affinity = !gpus.empty() && label + cell * devs.size() + 2 + affinity_width + 2 + numa_width <= 100;

  std::string out = pad("", label);
  for (const auto& n : names) out += pad(n, cell);
  if (inline_affinity) out += "  " + pad("CPU Affinity", affinity_width) + "  NUMA Affinity";
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += "\n";
  for (std::size_t i = 0; i < devs.size(); ++i) {
    std::string row = pad(names[i], label);
    for (std::size_t j = 0; j < devs.size(); ++j) row += pad(cells[i][j], cell);
    if (inline_affinity && i < gpus.size()) {
      int numa = gpu_numa(g, devs[i]);
      row += "  " + pad(gpu_cpus(g, devs[i]).empty() ? "N/A" : gpu_cpus(g, devs[i]), affinity_width) + "  " +
             (numa < 0 ? "N/A" : std::to_string(numa));
    }
    while (!row.empty() && row.back() == ' ') row.pop_back();
    out += row + "\n";
  }
  if (!inline_affinity && !gpus.empty()) {
    out += "\n" + pad("", label) + pad("CPU Affinity", affinity_width) + "  NUMA Affinity\n";
    for (int gp : gpus) {
      int numa = gpu_numa(g, gp);
      out += pad(g.name_of(gp), label) + pad(gpu_cpus(g, gp).empty() ? "N/A" : gpu_cpus(g, gp), affinity_width) + "  " +
             (numa < 0 ? "N/A" : std::to_string(numa)) + "\n";
    }
  }
  out +=
      "\nLegend:\n\n"
      "  X    = Self\n"
      "  SYS  = Connection traversing PCIe as well as the SMP interconnect between NUMA nodes\n"
      "  NODE = Connection traversing PCIe as well as the interconnect between PCIe Host Bridges\n"
      "         within a NUMA node\n"
      "  PHB  = Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)\n"
      "  PXB  = Connection traversing multiple PCIe bridges (without traversing the Host Bridge)\n"
      "  PIX  = Connection traversing at most a single PCIe bridge\n"
      "  NV#  = Connection traversing a bonded set of # NVLinks\n";
  if (!nics.empty()) {
    out += "\nNIC Legend:\n\n";
    for (int n : nics) out += "  " + g.name_of(n) + ": " + g.nic_name(n) + "\n";
  }
  return out;
}

}  // namespace cairn::topology

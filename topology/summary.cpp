#include "topology/summary.h"

#include <cstdio>

#include "topology/paths.h"

namespace cairn::topology {

std::string format_summary(const Graph& g) {
  auto count = [&](VertexKind k) { return g.of_kind(k).size(); };
  char buf[256];
  std::string out;
  std::snprintf(buf, sizeof buf, "Topology of %s\n  %zu GPUs, %zu NICs, %zu NUMA nodes, %zu PCI switches/root ports, %zu NVSwitches\n",
                g.source.c_str(), count(VertexKind::gpu), count(VertexKind::nic), count(VertexKind::cpu),
                count(VertexKind::pci), count(VertexKind::nvswitch));
  out += buf;
  for (const auto& l : g.links()) {
    if (l.kind != LinkKind::smp) continue;
    std::snprintf(buf, sizeof buf, "  %s-%s: %s, %.1f GB/s (NCCL's figure)\n", g.name_of(l.a).c_str(),
                  g.name_of(l.b).c_str(), l.name.c_str(), l.gb_s);
    out += buf;
  }
  auto gpus = g.of_kind(VertexKind::gpu);
  if (!gpus.empty()) {
    auto choices = best_nics(g);
    std::snprintf(buf, sizeof buf, "\n%-6s %-14s %-4s %-20s %-10s %-14s %-5s %s\n", "GPU", "bus id", "NUMA", "CPUs",
                  "model", "best NIC", "path", "GB/s");
    out += buf;
    for (std::size_t i = 0; i < gpus.size(); ++i) {
      int gpu = gpus[i];
      std::string model = g.vertex(gpu).gpu.model;
      if (model.rfind("NVIDIA ", 0) == 0) model = model.substr(7);
      if (model.size() > 10) model = model.substr(0, 10);
      std::string nic = "-", path = "-", gb_s = "-";
      if (i < choices.size()) {
        nic = g.nic_name(choices[i].nic);
        path = to_string(choices[i].path);
        std::snprintf(buf, sizeof buf, "%.1f", choices[i].path.bottleneck_gb_s);
        gb_s = buf;
      }
      int numa = gpu_numa(g, gpu);
      std::snprintf(buf, sizeof buf, "%-6s %-14s %-4s %-20s %-10s %-14s %-5s %s\n", g.name_of(gpu).c_str(),
                    g.vertex(gpu).bus_id.c_str(), numa < 0 ? "-" : std::to_string(numa).c_str(),
                    gpu_cpus(g, gpu).c_str(), model.empty() ? "-" : model.c_str(), nic.c_str(), path.c_str(),
                    gb_s.c_str());
      out += buf;
    }
  }
  auto nics = g.of_kind(VertexKind::nic);
  if (!nics.empty()) {
    out += "\nNICs:";
    for (int n : nics) {
      const auto& x = g.vertex(n);
      int cpu = g.cpu_of(n);
      out += " " + g.nic_name(n) + " (" + (x.nic.transport.empty() ? std::string("?") : x.nic.transport) +
             (cpu >= 0 ? ", NUMA" + std::to_string(g.vertex(cpu).cpu.numa_id) : std::string()) + ")";
    }
    out += "\n";
  }
  for (const auto& n : g.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace cairn::topology

#include "probe/summary.h"

#include <cstdio>
#include <map>
#include <sstream>

#include "probe/pcie_sysfs.h"

namespace cairn::probe {
namespace {

std::string cut(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  return n == 0 ? "" : s.substr(0, n - 1) + "~";
}

// Left-aligned cell of exactly n characters, at least one of them a blank separator.
std::string cell(const std::string& s, std::size_t n) {
  std::string c = cut(s, n - 1);
  return c + std::string(n - c.size(), ' ');
}

std::string gib(std::uint64_t bytes) {
  if (bytes == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  return buf;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string link_short(double gt_s, int width) {
  if (gt_s <= 0 || width <= 0) return "?";
  int gen = pcie_generation(gt_s);
  return (gen ? "Gen" + std::to_string(gen) : num(gt_s) + "GT") + " x" + std::to_string(width);
}

std::string pcie_text(const PcieLink& l) {
  if (l.speed_gt_s > 0 && l.width > 0)
    return link_short(l.speed_gt_s, l.width) + "/" + link_short(l.max_speed_gt_s, l.max_width);
  if (l.reported_gb_s > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GB/s", l.reported_gb_s);
    return buf;
  }
  return "-";
}

std::string nvlink_text(const GpuInfo& g) {
  if (g.nvlink_peers.empty() && g.nvlinks_supported == 0) return "-";
  std::map<std::string, int> kinds;
  for (const auto& p : g.nvlink_peers) ++kinds[p.remote_kind];
  std::string s = std::to_string(g.nvlinks_active);
  if (g.nvlinks_supported) s += "/" + std::to_string(g.nvlinks_supported);
  s += " up";
  for (const auto& [k, n] : kinds) s += ", " + std::to_string(n) + " " + (k == "nvswitch" ? "sw" : k);
  return s;
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string numa_text(int n) { return n >= 0 ? std::to_string(n) : "-"; }

// Wraps text to `width`, the first line after `lead`, the rest indented by `indent`.
void wrap(std::ostream& os, const std::string& lead, const std::string& text, std::size_t indent, std::size_t width) {
  std::string line = lead;
  std::istringstream words(text);
  std::string w;
  bool first_word = true;
  while (words >> w) {
    if (!first_word && line.size() + 1 + w.size() > width) {
      os << line << "\n";
      line = std::string(indent, ' ');
      first_word = true;
    }
    std::size_t room = width > line.size() + (first_word ? 0 : 1) ? width - line.size() - (first_word ? 0 : 1) : 0;
    if (w.size() > room) w = cut(w, room);
    line += (first_word ? "" : " ") + w;
    first_word = false;
  }
  os << line << "\n";
}

}  // namespace

std::string render_summary(const NodeInfo& node, const std::vector<Finding>& findings, std::size_t width) {
  std::ostringstream os;
  std::string host = node.hostname.empty() ? "(unnamed host)" : node.hostname;
  os << cut("Node  " + host + "  [" + node.source + "]" + (node.cpu.arch.empty() ? "" : "  " + node.cpu.arch), width) << "\n";
  os << cut("CPU   " + plural(node.cpu.packages, "package") + ", " + plural(node.cpu.cores, "core") + ", " +
                plural(node.cpu.pus, "thread") + (node.cpu.model.empty() ? "" : ": " + node.cpu.model),
            width)
     << "\n";

  os << "NUMA  " << plural(node.numa.size(), "node") << "\n";
  if (!node.numa.empty()) {
    os << "  " << cell("node", 6) << cell("memory", 11) << cell("CPUs", 30) << "distances\n";
    for (const auto& n : node.numa) {
      std::string cpus = n.subtype.empty() ? n.cpuset : n.subtype + " of " + n.gpu_bus_id;
      std::string dist;
      for (auto d : n.distances) dist += (dist.empty() ? "" : " ") + std::to_string(d);
      os << cut("  " + cell(std::to_string(n.os_index), 6) + cell(gib(n.memory_bytes), 11) + cell(cpus.empty() ? "-" : cpus, 30) + dist, width) << "\n";
    }
  }

  os << "GPUs  " << node.gpus.size() << "\n";
  if (!node.gpus.empty()) {
    os << "  " << cell("#", 3) << cell("bus id", 14) << cell("name", 24) << cell("memory", 10) << cell("PCIe now/max", 19)
       << cell("NUMA", 5) << "NVLink\n";
    for (std::size_t i = 0; i < node.gpus.size(); ++i) {
      const auto& g = node.gpus[i];
      std::string idx = g.cuda_index >= 0 ? std::to_string(g.cuda_index) : "-";
      os << cut("  " + cell(idx, 3) + cell(g.bus_id, 14) + cell(g.name, 24) + cell(gib(g.memory_bytes), 10) +
                    cell(pcie_text(g.pcie), 19) + cell(numa_text(g.numa_node), 5) + nvlink_text(g),
                width)
         << "\n";
    }
  }

  os << "NICs  " << node.nics.size() << "\n";
  if (!node.nics.empty()) {
    os << "  " << cell("name", 11) << cell("bus id", 14) << cell("transport", 14) << cell("NUMA", 5) << cell("port", 5)
       << cell("state", 16) << cell("rate", 17) << "netdevs\n";
    for (const auto& n : node.nics) {
      std::string netdevs;
      for (const auto& d : n.netdevs) netdevs += (netdevs.empty() ? "" : ",") + d;
      std::string head = "  " + cell(n.name, 11) + cell(n.bus_id, 14) + cell(n.transport, 14) + cell(numa_text(n.numa_node), 5);
      if (n.ports.empty()) os << cut(head + cell("-", 5) + cell("-", 16) + cell("-", 17) + netdevs, width) << "\n";
      for (std::size_t p = 0; p < n.ports.size(); ++p) {
        const auto& port = n.ports[p];
        std::string state = port.state.empty() ? "?" : port.state;
        if (!port.phys_state.empty() && port.phys_state != "LinkUp") state += "/" + port.phys_state;
        std::string rate = port.rate_gbit_s > 0 ? num(port.rate_gbit_s) + " Gb/s" : "-";
        if (!port.speed.empty()) rate += " " + port.speed;
        std::string lead = p == 0 ? head : "  " + std::string(11 + 14 + 14 + 5, ' ');
        os << cut(lead + cell(std::to_string(port.port), 5) + cell(state, 16) + cell(rate, 17) + (p == 0 ? netdevs : ""), width) << "\n";
      }
    }
  }

  int errors = count_findings(findings, Severity::error), warnings = count_findings(findings, Severity::warning);
  os << "Findings: " << errors << (errors == 1 ? " error, " : " errors, ") << warnings
     << (warnings == 1 ? " warning" : " warnings") << "\n";
  for (const auto& f : findings) {
    std::string lead = "  " + cell(to_string(f.severity), 9) + cell(f.check, 23);
    wrap(os, lead, f.subject + ": " + f.message, 4, width);
  }
  if (!node.notes.empty()) {
    os << "Notes\n";
    for (const auto& n : node.notes) wrap(os, "  - ", n, 4, width);
  }
  return os.str();
}

}  // namespace cairn::probe

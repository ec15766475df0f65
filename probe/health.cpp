#include "probe/health.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "probe/clock_events.h"
#include "probe/pcie_sysfs.h"

namespace cairn::probe {
namespace {

std::string fmt_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string link_text(double gt_s, int width) {
  int gen = pcie_generation(gt_s);
  std::string speed = gen ? "Gen" + std::to_string(gen) : fmt_double(gt_s) + " GT/s";
  return speed + " x" + std::to_string(width);
}

// CUDA ordinal where known (what users pass to CUDA_VISIBLE_DEVICES), always the bus id.
std::string gpu_subject(const GpuInfo& g) {
  if (g.cuda_index < 0) return "GPU " + g.bus_id;
  return "GPU " + std::to_string(g.cuda_index) + " (" + g.bus_id + ")";
}

std::string nic_subject(const NodeInfo& node, const std::string& bus_id) {
  std::string names;
  for (const auto& n : node.nics)
    if (n.bus_id == bus_id) names += (names.empty() ? "" : "/") + n.name;
  return names.empty() ? "NIC " + bus_id : names + " (" + bus_id + ")";
}

// Bus ids of the PCIe switch ports above a device: its ancestor bridges except the root
// port (the bridge directly under the host bridge). Two devices under one switch share one.
std::set<std::string> switch_ports_above(const NodeInfo& node, const std::string& bus_id) {
  std::set<std::string> out;
  const PciDevice* d = node.find_pci(bus_id);
  for (int hops = 0; d && !d->parent_bus_id.empty() && hops < 64; ++hops) {
    const PciDevice* parent = node.find_pci(d->parent_bus_id);
    if (!parent) break;
    if (!parent->parent_bus_id.empty()) out.insert(parent->bus_id);  // not a root port
    d = parent;
  }
  return out;
}

class Checker {
 public:
  Checker(const NodeInfo& node, const ExpectSpec& expect) : node_(node), expect_(expect) {}

  std::vector<Finding> run() {
    check_ports();
    check_pcie();
    check_gpu_nic_affinity();
    check_gpus();
    check_counts();
    std::stable_sort(out_.begin(), out_.end(), [](const Finding& a, const Finding& b) {
      return static_cast<int>(a.severity) < static_cast<int>(b.severity);
    });
    return std::move(out_);
  }

 private:
  void add(Severity s, const char* check, std::string subject, std::string message) {
    out_.push_back({s, check, std::move(subject), std::move(message)});
  }

  void check_ports() {
    for (const auto& nic : node_.nics) {
      if (!is_rdma_nic(nic)) continue;
      for (const auto& p : nic.ports) {
        std::string subject = nic.name + " port " + std::to_string(p.port);
        if (nic.transport == "ibverbs" && !p.state.empty() && p.state != "ACTIVE") {
          std::string why;
          if (p.phys_state == "LinkUp")
            why = "the link is up but the subnet manager has not activated the port: is opensm / "
                  "the fabric manager running and does it see this port?";
          else if (p.phys_state == "Disabled")
            why = "the port is administratively disabled (ibportstate ... enable, or the switch side)";
          else
            why = "no link: check the cable, the transceiver and the switch port";
          add(Severity::error, "ib_port_not_active", subject,
              "state " + p.state + (p.phys_state.empty() ? "" : " (" + p.phys_state + ")") + ": " + why);
          continue;
        }
        if (expect_.nic_rate_gbit_s && p.rate_gbit_s > 0 && p.rate_gbit_s + 1e-6 < *expect_.nic_rate_gbit_s)
          add(Severity::error, "ib_port_slow", subject,
              "runs at " + fmt_double(p.rate_gbit_s) + " Gb/s" + (p.speed.empty() ? "" : " (" + std::to_string(p.width) + "x " + p.speed + ")") +
                  ", expected " + fmt_double(*expect_.nic_rate_gbit_s) +
                  " Gb/s: a lane or speed fell back; reseat or replace the cable");
      }
    }
  }

  void check_link(const PcieLink& l, bool is_gpu, const std::string& subject) {
    if (l.downtrained()) {
      bool narrow = l.width > 0 && l.max_width > 0 && l.width < l.max_width;
      std::string text = "PCIe link at " + link_text(l.speed_gt_s, l.width) + ", capable of " +
                         link_text(l.max_speed_gt_s, l.max_width);
      if (narrow || !is_gpu)
        add(Severity::error, "pcie_downtrained", subject,
            text + ": " + fmt_double(l.bandwidth_gb_s()) + " of " + fmt_double(l.max_bandwidth_gb_s()) +
                " GB/s; reseat the card or check the riser/slot, then check again");
      else
        add(Severity::warning, "pcie_downtrained", subject,
            text + ": normal for an idle GPU (the link slows to save power); check again under load");
    }
    auto max_gen = pcie_generation(l.max_speed_gt_s);
    if (expect_.pcie_gen && max_gen > 0 && max_gen < *expect_.pcie_gen)
      add(Severity::error, "pcie_below_expected", subject,
          "PCIe link can reach Gen" + std::to_string(max_gen) + ", expected Gen" + std::to_string(*expect_.pcie_gen));
    if (expect_.pcie_width && l.max_width > 0 && l.max_width < *expect_.pcie_width)
      add(Severity::error, "pcie_below_expected", subject,
          "PCIe link can reach x" + std::to_string(l.max_width) + ", expected x" + std::to_string(*expect_.pcie_width));
  }

  void check_pcie() {
    for (std::size_t i = 0; i < node_.gpus.size(); ++i) check_link(node_.gpus[i].pcie, true, gpu_subject(node_.gpus[i]));
    std::set<std::string> seen;
    for (const auto& nic : node_.nics) {
      if (nic.bus_id.empty() || !seen.insert(nic.bus_id).second) continue;
      if (const auto* d = node_.find_pci(nic.bus_id)) check_link(d->link, false, nic_subject(node_, nic.bus_id));
    }
  }

  void check_gpu_nic_affinity() {
    std::vector<const NicInfo*> rdma;
    for (const auto& n : node_.nics)
      if (is_rdma_nic(n)) rdma.push_back(&n);
    if (rdma.empty()) return;  // nothing to be near; --expect nics covers a missing fabric
    for (std::size_t i = 0; i < node_.gpus.size(); ++i) {
      const auto& g = node_.gpus[i];
      auto gpu_ports = switch_ports_above(node_, g.bus_id);
      bool near = false;
      for (const auto* n : rdma) {
        auto nic_ports = switch_ports_above(node_, n->bus_id);
        bool same_switch = std::any_of(nic_ports.begin(), nic_ports.end(), [&](const std::string& p) { return gpu_ports.count(p); });
        bool same_numa = g.numa_node >= 0 && g.numa_node == n->numa_node;
        near = near || same_switch || same_numa;
      }
      if (!near)
        add(Severity::warning, "gpu_without_near_nic", gpu_subject(g),
            "no RDMA NIC under its PCIe switch or on its NUMA node " + std::to_string(g.numa_node) +
                ": its network traffic crosses the CPU interconnect (NCCL path SYS)");
    }
  }

  void check_gpus() {
    for (std::size_t i = 0; i < node_.gpus.size(); ++i) {
      const auto& g = node_.gpus[i];
      auto subject = gpu_subject(g);
      if (g.nvlinks_supported > g.nvlinks_active)
        add(Severity::error, "nvlink_down", subject,
            std::to_string(g.nvlinks_active) + " of " + std::to_string(g.nvlinks_supported) +
                " NVLinks active: GPU traffic falls back to fewer links or PCIe; check nvidia-smi nvlink -s "
                "and the fabric manager");
      if (g.ecc_uncorrected > 0)
        add(Severity::error, "ecc_uncorrected", subject,
            std::to_string(g.ecc_uncorrected) + " uncorrectable ECC errors since the driver loaded: drain the node "
                                                "and reset the GPU");
      if (g.retirement_pending)
        add(Severity::error, "gpu_retirement_pending", subject,
            "a retired page or remapped row takes effect only after a GPU reset: reset it before use");
      else if (g.retired_pages > 0)
        add(Severity::warning, "gpu_retired_pages", subject,
            std::to_string(g.retired_pages) + " pages retired or rows remapped: watch for growth");
      const std::string reasons = slowing_clock_events(g);
      if (!reasons.empty())
        add(Severity::warning, "gpu_throttling", subject, "clocks held down: " + reasons);
      if (!expect_.gpu_model.empty() && g.name.find(expect_.gpu_model) == std::string::npos)
        add(Severity::error, "gpu_model", subject, "is \"" + g.name + "\", expected a \"" + expect_.gpu_model + "\"");
    }
  }

  void check_counts() {
    if (expect_.gpus && static_cast<int>(node_.gpus.size()) < *expect_.gpus)
      add(Severity::error, "gpu_count", "node",
          std::to_string(node_.gpus.size()) + " GPUs found, expected " + std::to_string(*expect_.gpus) +
              ": a GPU fell off the bus (dmesg: Xid 79) or is hidden by the driver");
    if (expect_.nics) {
      int n = static_cast<int>(std::count_if(node_.nics.begin(), node_.nics.end(), is_rdma_nic));
      if (n < *expect_.nics)
        add(Severity::error, "nic_count", "node",
            std::to_string(n) + " RDMA NICs found, expected " + std::to_string(*expect_.nics) +
                ": check the driver (ibv_devices) and the PCI bus (lspci)");
    }
  }

  const NodeInfo& node_;
  const ExpectSpec& expect_;
  std::vector<Finding> out_;
};

}  // namespace

bool is_rdma_nic(const NicInfo& nic) { return nic.transport == "ibverbs" || nic.transport == "slingshot-cxi"; }

std::vector<Finding> check_node(const NodeInfo& node, const ExpectSpec& expect) { return Checker(node, expect).run(); }

int count_findings(const std::vector<Finding>& findings, Severity severity) {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.severity == severity; }));
}

const char* to_string(Severity s) {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::info: return "info";
  }
  return "info";
}

Json findings_to_json(const std::vector<Finding>& findings) {
  Json out = Json::array();
  for (const auto& f : findings)
    out.push_back({{"severity", to_string(f.severity)}, {"check", f.check}, {"subject", f.subject}, {"message", f.message}});
  return out;
}

}  // namespace cairn::probe

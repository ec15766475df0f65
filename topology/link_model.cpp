#include "topology/link_model.h"

#include <cmath>

namespace cairn::topology {
namespace {

// kvDictPciGen: per-lane rate in 100 Mb/s units, by the GT/s figure sysfs prints.
struct PciGen {
  double gt_s;
  int per_lane_100mbit;
};
constexpr PciGen kPciGens[] = {{2.5, 15}, {5.0, 30}, {8.0, 60}, {16.0, 120}, {32.0, 240}, {64.0, 480}};
constexpr int kPciFallback100mbit = 60;

// NCCL's CPU model thresholds (topo.cc ncclTopoAddCpu): family 6 with model >= 0xCF is
// Emerald Rapids, >= 0x8F Sapphire Rapids, >= 0x55 Skylake.
enum class IntelGen { bdw, skl, spr, erp };
IntelGen intel_gen(int family_id, int model_id) {
  if (family_id != 6) return IntelGen::bdw;
  if (model_id >= 0xCF) return IntelGen::erp;
  if (model_id >= 0x8F) return IntelGen::spr;
  if (model_id >= 0x55) return IntelGen::skl;
  return IntelGen::bdw;
}

}  // namespace

double nccl_pcie_bandwidth_gb_s(double speed_gt_s, int width) {
  int rate = kPciFallback100mbit;
  for (const auto& g : kPciGens)
    if (std::fabs(g.gt_s - speed_gt_s) < 1e-6) rate = g.per_lane_100mbit;
  if (width <= 0) width = 16;
  return width * rate / 80.0;
}

bool nccl_knows_pcie_rate(double speed_gt_s) {
  for (const auto& g : kPciGens)
    if (std::fabs(g.gt_s - speed_gt_s) < 1e-6) return true;
  return false;
}

double nccl_nvlink_bandwidth_gb_s(int sm) {
  if (sm >= 100) return kNvLinkSm100GbS;
  if (sm >= 90) return kNvLinkSm90GbS;
  if (sm == 86) return kNvLinkSm86GbS;
  if (sm >= 80) return kNvLinkSm80GbS;
  if (sm >= 70) return kNvLinkSm70GbS;
  if (sm >= 60) return kNvLinkSm60GbS;
  return kNvLinkSm80GbS;
}

double nccl_inter_cpu_bandwidth_gb_s(const std::string& arch, const std::string& vendor,
                                     int family_id, int model_id) {
  if (arch == "ppc64") return kPower9GbS;
  if (arch == "arm64") return kArmGbS;
  if (arch == "x86_64") {
    if (vendor == "GenuineIntel") {
      switch (intel_gen(family_id, model_id)) {
        case IntelGen::erp: return kIntelErpUpiGbS;
        case IntelGen::spr: return kIntelSprUpiGbS;
        case IntelGen::skl: return kIntelSklUpiGbS;
        case IntelGen::bdw: return kIntelBdwQpiGbS;
      }
    }
    if (vendor == "AuthenticAMD") return kAmdGbS;
    if (vendor == "CentaurHauls" || vendor == "  Shanghai  ")
      return family_id == 7 && model_id == 0x5B ? kZhaoxinYongfengZpiGbS : kZhaoxinZpiGbS;
  }
  return kLocBandwidthGbS;
}

std::string socket_interconnect_name(const std::string& arch, const std::string& vendor,
                                     int family_id, int model_id) {
  if (arch == "ppc64") return "X-Bus";
  if (arch == "arm64") return vendor == "NVIDIA" ? "Grace C2C" : "SMP";
  if (vendor == "GenuineIntel") return intel_gen(family_id, model_id) == IntelGen::bdw && model_id >= 0 ? "QPI" : "UPI";
  if (vendor == "AuthenticAMD") return "xGMI";
  if (vendor == "CentaurHauls" || vendor == "  Shanghai  ") return "ZPI";
  return "SMP";
}

double nccl_net_bandwidth_gb_s(long long speed_mbit_s) {
  if (speed_mbit_s <= 0) speed_mbit_s = 10000;
  return static_cast<double>(speed_mbit_s) / 8000.0;
}

}  // namespace cairn::topology

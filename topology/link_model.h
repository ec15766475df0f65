// Bandwidth and latency of one link, as NCCL models them, so that Cairn's numbers agree
// with what NCCL prints under NCCL_DEBUG_SUBSYS=GRAPH and what it plans with.
//
// Source: NCCL v2.28.9 (the version installed here), src/graph/topo.h (the *_BW constants,
// ncclTopoNVLinkBw), src/graph/topo.cc (kvDictPciGen, ncclTopoAddPci's width*speed/80,
// ncclTopoGetInterCpuBw, ncclTopoAddNet's speed/8000) and src/graph/tuning.cc
// (hwLatencies, the Tree/LL column used here as the per-hop latency of a link).
// Bandwidths are one direction, 10^9 B/s (GB/s as nccl-tests prints them).
#pragma once

#include <string>

namespace cairn::topology {

// topo.h
inline constexpr double kLocBandwidthGbS = 5000.0;         // LOC_BW: "no limit"
inline constexpr double kPciGen3x16BandwidthGbS = 12.0;    // PCI_BW
inline constexpr double kNvLinkSm60GbS = 18.0;             // SM60_NVLINK_BW, per link
inline constexpr double kNvLinkSm70GbS = 20.0;             // SM70_NVLINK_BW
inline constexpr double kNvLinkSm80GbS = 20.0;             // SM80_NVLINK_BW (also NCCL's fallback)
inline constexpr double kNvLinkSm86GbS = 12.0;             // SM86_NVLINK_BW
inline constexpr double kNvLinkSm90GbS = 20.6;             // SM90_NVLINK_BW (NVLink4, H100/GH200)
inline constexpr double kNvLinkSm100GbS = 40.1;            // SM100_NVLINK_BW (NVLink5)
inline constexpr double kIntelBdwQpiGbS = 6.0;             // BDW_QPI_BW (Broadwell and older)
inline constexpr double kIntelSklUpiGbS = 10.0;            // SKL_QPI_BW (Skylake .. Ice Lake)
inline constexpr double kIntelSprUpiGbS = 22.0;            // SRP_QPI_BW (Sapphire Rapids)
inline constexpr double kIntelErpUpiGbS = 40.0;            // ERP_QPI_BW (Emerald Rapids and newer)
inline constexpr double kAmdGbS = 16.0;                    // AMD_BW (xGMI / Infinity Fabric)
inline constexpr double kZhaoxinZpiGbS = 6.0;              // ZPI_BW
inline constexpr double kZhaoxinYongfengZpiGbS = 9.0;      // YONGFENG_ZPI_BW
inline constexpr double kPower9GbS = 32.0;                 // P9_BW
inline constexpr double kArmGbS = 6.0;                     // ARM_BW (NCCL uses it for Grace too)

// tuning.cc hwLatencies[NVLINK|PCI|NET][Tree][LL]. NCCL charges the PCI figure to any
// intra-node hop that is not NVLink, the socket interconnect included.
inline constexpr double kNvLinkLatencyUs = 0.6;
inline constexpr double kPciLatencyUs = 1.0;
inline constexpr double kNetLatencyUs = 5.0;

// NCCL's PCIe link bandwidth: width x per-lane rate / 80, the rate taken from kvDictPciGen in
// units of 100 Mb/s per lane (2.5 GT/s -> 15, 5 -> 30, 8 -> 60, 16 -> 120, 32 -> 240,
// 64 -> 480), i.e. about 76 % of the encoded line rate. Unknown rate: NCCL's fallback, Gen3
// (60); unknown width (0): 16 lanes, as NCCL assumes. Gen4 x16 -> 24 GB/s, Gen5 x16 -> 48.
double nccl_pcie_bandwidth_gb_s(double speed_gt_s, int width);

// True where NCCL's table knows the rate (2.5, 5, 8, 16, 32, 64 GT/s).
bool nccl_knows_pcie_rate(double speed_gt_s);

// Per-link NVLink bandwidth for a GPU of compute capability sm (major*10+minor); sm <= 0
// (unknown) gives NCCL's fallback, the SM80 figure.
double nccl_nvlink_bandwidth_gb_s(int sm);

// NCCL's bandwidth between two CPU sockets (NUMA nodes) of one node. arch is NCCL's spelling
// ("x86_64", "arm64", "ppc64"); vendor the CPUID string ("GenuineIntel", "AuthenticAMD",
// "CentaurHauls"); family/model -1 where unknown (NCCL then takes the Broadwell figure for
// Intel, as it does for any Intel model below Skylake).
double nccl_inter_cpu_bandwidth_gb_s(const std::string& arch, const std::string& vendor,
                                     int family_id, int model_id);

// A readable name for that interconnect: "UPI", "QPI", "xGMI", "X-Bus", "Grace C2C" (arm64
// with vendor "NVIDIA"), "SMP" where nothing more is known.
std::string socket_interconnect_name(const std::string& arch, const std::string& vendor,
                                     int family_id, int model_id);

// Network port bandwidth as NCCL computes it from the <net speed> attribute (Mb/s): speed /
// 8000, with NCCL's 10 Gb/s default where the speed is unknown or negative.
double nccl_net_bandwidth_gb_s(long long speed_mbit_s);

}  // namespace cairn::topology

#include "tuner/model/nccl_constants.h"

#include <cmath>

namespace cairn::tuner::nccl {

// Rows: Tree, Ring, CollNetDirect, CollNetChain, NVLS, NVLSTree, PAT; columns LL, LL128,
// Simple (tuning.cc, ncclTunerConstantsDefaults.baseLatencies).
const AlgoProtoTable kBaseLatencyUs = {{
    {6.8, 14.0, 8.4}, {6.6, 14.0, 8.4},
    {0, 0, 0}, {0, 0, 0},
    {0, 0, 0}, {0, 0, 0},
    {8.0, 8.0, 8.0},
}};

// .hwLatencies, by hop class NVLINK, PCI, NET.
const std::array<AlgoProtoTable, 3> kHwLatencyUs = {{
    {{{0.6, 1.25, 4.0}, {0.6, 1.9, 3.4}, {0, 0, 3.7}, {0, 0, 2.8}, {0, 0, 25}, {0, 0, 25}, {0, 0, 4.0}}},
    {{{1.0, 1.9, 4.0}, {1.0, 2.5, 5.7}, {0, 0, 3.7}, {0, 0, 2.8}, {0, 0, 0}, {0, 0, 0}, {0, 0, 4.0}}},
    {{{5.0, 8.5, 14}, {2.7, 4.0, 14.0}, {0, 0, 31}, {0, 0, 30}, {0, 0, 18}, {0, 0, 20.9}, {0, 0, 14}}},
}};

// Rows Volta, Ampere, Hopper, Blackwell; columns 1 node, 2 nodes, more.
const CapTable kLlMaxBwGbS = {{{39.0, 39.0, 20.4}, {87.7, 22.5, 19.0}, {141.0, 45.0, 35.0}, {282.0, 90.0, 70.0}}};
const CapTable kPerChannelMaxRingLl128GbS = {{{20.0, 20.0, 20.0}, {20.0, 20.0, 20.0}, {36.7, 36.7, 36.7}, {73.4, 34.6, 73.4}}};
const CapTable kPerChannelMaxTreeLl128GbS = {{{20.0, 20.0, 20.0}, {20.0, 20.0, 20.0}, {36.7, 36.7, 29.0}, {55.6, 31.67, 20.0}}};
const CapTable kPerChannelMaxTreeGbS = {{{26.5, 18.5, 10.0}, {24.0, 23.6, 17.8}, {38.7, 41.4, 36.0}, {70.0, 42.8, 24.0}}};
const CapTable kPerChannelMaxNvlsTreeGbS = {{{26.5, 18.5, 10.0}, {24.0, 23.6, 17.8}, {0.0, 57.7, 45.5}, {0.0, 96.0, 43.8}}};
const std::array<double, 4> kNvlsEfficiency = {0.0, 0.0, 0.85, 0.74};

namespace {

// treeCorrectionFactor, rows LL, LL128, Simple; powers of two from 64 B to 256 MiB.
constexpr double kTreeCorrection[3][23] = {
    {1.0, 1.0, 1.0, 1.0, .9, .8, .7, .7, .7, .7, .6, .5, .4, .4, .5, .6, .7, .8, .9, 1.0, 1.0, 1.0, 1.0},
    {1.0, 1.0, 1.0, 1.0, 1.0, .9, .8, .8, .8, .7, .6, .6, .6, .6, .6, .6, .8, .9, .9, .9, .9, 1.0, 1.0},
    {.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5, .5, .5, .5, .6, .7, .8, .7, .7, .8, .9, .9},
};

// search.cc: speedArrayIntra/Inter (sm < 90), sm90SpeedArray*, sm100SpeedArray*.
constexpr double kSpeedsIntra[] = {40.0, 30.0, 20.0, 18.0, 15.0, 12.0, 10.0, 9.0, 7.0, 6.0, 5.0, 4.0, 3.0};
constexpr double kSpeedsInter[] = {48.0, 30.0, 28.0, 24.0, 20.0, 18.0, 15.0, 12.0, 10.0, 9.0,
                                   7.0,  6.0,  5.0,  4.0,  3.0,  2.4,  1.2,  0.24, 0.12};
constexpr double kSm90SpeedsIntra[] = {60.0, 50.0, 40.0, 30.0, 24.0, 20.0, 15.0, 12.0, 11.0, 6.0, 3.0};
constexpr double kSm90SpeedsInter[] = {48.0, 45.0, 42.0, 40.0, 30.0, 24.0, 22.0, 20.0, 17.5,
                                       15.0, 12.0, 6.0,  3.0,  2.4,  1.2,  0.24, 0.12};
constexpr double kSm100SpeedsIntra[] = {90.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0, 24.0, 20.0, 19.0, 18.0};
constexpr double kSm100SpeedsInter[] = {96.0, 48.0, 45.1, 42.0, 40.0, 30.0, 24.0, 22.0, 20.0,
                                        17.5, 15.0, 12.0, 6.0,  3.0,  2.4,  1.2,  0.24, 0.12};

}  // namespace

const char* to_string(Algo a) {
  switch (a) {
    case Algo::tree: return "Tree";
    case Algo::ring: return "Ring";
    case Algo::collnet_direct: return "CollNetDirect";
    case Algo::collnet_chain: return "CollNetChain";
    case Algo::nvls: return "NVLS";
    case Algo::nvls_tree: return "NVLSTree";
    case Algo::pat: return "PAT";
  }
  return "?";
}

const char* to_string(Proto p) {
  switch (p) {
    case Proto::ll: return "LL";
    case Proto::ll128: return "LL128";
    case Proto::simple: return "Simple";
  }
  return "?";
}

Arch arch_of(int sm) {
  return sm >= 100 ? Arch::blackwell : sm >= 90 ? Arch::hopper : sm >= 80 ? Arch::ampere : Arch::volta;
}

double tree_correction_factor(Proto p, double bytes) {
  // log2i(nBytes >> 6): the floor of log2 of the size in 64-byte units; -1 below 64 B.
  const double units = std::floor(bytes / 64.0);
  if (units < 1) return 1.0;
  const int log_size = static_cast<int>(std::floor(std::log2(units)));
  if (log_size < 0 || log_size >= 23) return 1.0;
  return kTreeCorrection[idx(p)][log_size];
}

double net_overhead_us(const std::string& cpu_arch, const std::string& cpu_vendor) {
  if (cpu_arch == "x86_64" && cpu_vendor == "AuthenticAMD") return 2.0;
  return 1.0;
}

std::span<const double> search_speeds_gb_s(int sm, bool inter_node) {
  if (sm >= 100) return inter_node ? std::span<const double>(kSm100SpeedsInter) : std::span<const double>(kSm100SpeedsIntra);
  if (sm >= 90) return inter_node ? std::span<const double>(kSm90SpeedsInter) : std::span<const double>(kSm90SpeedsIntra);
  return inter_node ? std::span<const double>(kSpeedsInter) : std::span<const double>(kSpeedsIntra);
}

}  // namespace cairn::tuner::nccl

// The numbers NCCL 2.28.9's cost model uses, in Cairn's own form, each with its source.
// Read from NCCL's public source (github.com/NVIDIA/nccl, tag v2.28.9-1), not copied:
//   src/graph/tuning.cc  ncclTunerConstantsDefaults (baseLatencies, hwLatencies, llMaxBws,
//                        perChMax*Bws), nvlsEfficiency, treeCorrectionFactor,
//                        getNetOverhead, ncclTopoTuneModel, ncclTopoGetAlgoTime;
//   src/graph/search.cc  the speed arrays ncclTopoCompute tries, ncclTopoDupChannels;
//   src/init.cc          ringGraph->maxChannels = MAXCHANNELS/2 (MAXCHANNELS 64, device.h).
// Link bandwidths are topology/link_model.h's (topo.h, topo.cc). Latencies in microseconds,
// bandwidths in GB/s (10^9 B/s), as NCCL keeps them.
#pragma once

#include <array>
#include <span>
#include <string>

namespace cairn::tuner::nccl {

// NCCL's algorithm and protocol indexes (nccl_tuner.h / device.h order), so a table
// indexed [algo][proto] has NCCL's shape.
enum class Algo { tree, ring, collnet_direct, collnet_chain, nvls, nvls_tree, pat };
enum class Proto { ll, ll128, simple };
inline constexpr int kNumAlgos = 7;
inline constexpr int kNumProtos = 3;
// NCCL_HW_NVLINK, NCCL_HW_PCI, NCCL_HW_NET: the class of the hops an algorithm crosses.
enum class Hw { nvlink, pci, net };
// NCCL's compute-capability index: sm < 80, 80-89, 90-99, >= 100.
enum class Arch { volta, ampere, hopper, blackwell };

const char* to_string(Algo a);    // NCCL's spelling: "Tree", "Ring", "CollNetDirect", ...
const char* to_string(Proto p);   // "LL", "LL128", "Simple"
Arch arch_of(int sm);             // tuning.cc's compCapIndex

inline int idx(Algo a) { return static_cast<int>(a); }
inline int idx(Proto p) { return static_cast<int>(p); }
inline int idx(Hw h) { return static_cast<int>(h); }

using AlgoProtoTable = std::array<std::array<double, kNumProtos>, kNumAlgos>;

// ncclTunerConstantsDefaults.baseLatencies[algo][proto]: the fixed cost of one call.
extern const AlgoProtoTable kBaseLatencyUs;
// .hwLatencies[hw][algo][proto]: the cost of one step over a hop of that class.
extern const std::array<AlgoProtoTable, 3> kHwLatencyUs;

// The per-architecture caps, indexed [arch][node-count index: 1 node, 2 nodes, more].
using CapTable = std::array<std::array<double, 3>, 4>;
// .llMaxBws: the LL cap. Row index: one node, the GPU's architecture; several nodes, the
// CPU vendor (row 0 Intel and others, row 1 AMD or mixed), as ncclTopoTuneModel's index1.
extern const CapTable kLlMaxBwGbS;
extern const CapTable kPerChannelMaxRingLl128GbS;   // .perChMaxRingLL128Bws
extern const CapTable kPerChannelMaxTreeLl128GbS;   // .perChMaxTreeLL128Bws
extern const CapTable kPerChannelMaxTreeGbS;        // .perChMaxTreeBws
extern const CapTable kPerChannelMaxNvlsTreeGbS;    // .perChMaxNVLSTreeBws
// nvlsEfficiency[arch].
extern const std::array<double, 4> kNvlsEfficiency;

// ncclTopoTuneModel's model refinements of the bus bandwidth (tuning.cc):
inline constexpr double kRingLlShare = 0.5;          // Ring/LL: half of each 8-byte line is flags
inline constexpr double kRingLl128Share = 0.92;      // Ring/LL128: ~120 of 128 bytes carry data
inline constexpr double kTreeAllReduceShare = 0.92;  // Tree all_reduce
inline constexpr double kTreeLlShare = 1.0 / 3.8;    // Tree/LL
inline constexpr double kTreeLl128ShareOneNode = 7.0 / 9.0;
inline constexpr double kTreeLl128ShareNodes = 120.0 / 128.0;
inline constexpr double kSplitTreeShare = 0.85;      // maxTreePattern == NCCL_TOPO_PATTERN_TREE
inline constexpr double kPatShare = 0.75;            // PAT
inline constexpr double kTreeAlgBwRatio = 0.5;       // bus -> algorithm bandwidth, non-ring algorithms
// ncclTopoGetAlgoTime: Ring/Simple all_reduce over several nodes once
// nBytes / (nChannels x nRanks) >= 64: latency x 1.4 (sm >= 80) or 1.9 (older).
inline constexpr double kRingPlateauLatency = 1.4;
inline constexpr double kRingPlateauLatencyPreAmpere = 1.9;
inline constexpr double kRingPlateauMinBytesPerChannelRank = 64;
// PAT all_gather / reduce_scatter latency: log2(nNodes) x interLat / 3.5 + nRanks x 2.8.
inline constexpr double kPatLogLatencyDivisor = 3.5;
inline constexpr double kPatLinearLatencyUs = 2.8;

// treeCorrectionFactor[proto][log2(nBytes / 64)] for sizes 64 B .. 256 MiB (23 entries);
// 1 outside that range. Applied to Tree all_reduce's bandwidth.
double tree_correction_factor(Proto p, double bytes);

// getNetOverhead: the host's cost to post one network operation, by CPU: 1 us (Intel x86,
// and any other CPU), 2 us (AMD x86). NCCL_NET_OVERHEAD overrides it; not modelled.
double net_overhead_us(const std::string& cpu_arch, const std::string& cpu_vendor);

// The per-channel bandwidths ncclTopoCompute tries, fastest first (search.cc): intra-node
// (one node) and inter-node arrays, per architecture (sm < 90, 90-99, >= 100).
std::span<const double> search_speeds_gb_s(int sm, bool inter_node);
// init.cc: ringGraph->maxChannels = MAXCHANNELS / 2; the tree graph takes the ring's count.
inline constexpr int kMaxRingChannels = 32;

}  // namespace cairn::tuner::nccl

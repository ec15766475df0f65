// NCCL's cost model against values worked by hand from NCCL v2.28.9's src/graph/tuning.cc
// (ncclTopoTuneModel, ncclTopoGetAlgoTime) and search.cc (speeds, ncclTopoDupChannels);
// every expected number below is derived in its comment from those formulas.
#include "tuner/model/nccl_model.h"

#include <gtest/gtest.h>

#include "tests/support/error_of.h"
#include "topology/cluster.h"

namespace cairn::tuner::nccl {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;

double lat(const CostTable& t, Algo a, Proto p) { return t.latency_us[idx(a)][idx(p)]; }
double bw(const CostTable& t, Algo a, Proto p) { return t.bandwidth_gb_s[idx(a)][idx(p)]; }

CommModel comm(const std::string& preset, int nodes) {
  return comm_model(system_model(topology::cluster_preset(preset, nodes)), nodes);
}

TEST(NcclGraph, DgxH100OneNode) {
  // NVSwitch: 18 NVLink4 x 20.6 GB/s = 370.8 per GPU. sm90 intra speeds: 60 is the first
  // <= 370.8; floor(370.8 / 60) = 6 channels; DupChannels (60 >= 25, not < 50): 12 x 30.
  const ChannelGraph g = ring_graph(system_model(topology::cluster_preset("dgx-h100", 1)), 1);
  EXPECT_EQ(g.channels, 12);
  EXPECT_DOUBLE_EQ(g.bw_intra_gb_s, 30.0);
}

TEST(NcclGraph, DgxH100TwoNodesAndAlps) {
  // DGX: NIC 400 Gb/s / 8 = 50 GB/s, GPU-NIC PCIe Gen5 x16 48 GB/s: speed 48 (sm90
  // inter), one channel per NIC = 8; no duplication (sm > 80, 48 < 50, 8 > 4).
  const ChannelGraph dgx = ring_graph(system_model(topology::cluster_preset("dgx-h100", 2)), 2);
  EXPECT_EQ(dgx.channels, 8);
  EXPECT_DOUBLE_EQ(dgx.bw_inter_gb_s, 48.0);
  // Alps: Slingshot 200 Gb/s = 25 GB/s: speed 24, 4 NICs -> 4 channels; 24 < 25: no dup.
  const ChannelGraph alps = ring_graph(system_model(topology::cluster_preset("gh200-alps", 512)), 512);
  EXPECT_EQ(alps.channels, 4);
  EXPECT_DOUBLE_EQ(alps.bw_inter_gb_s, 24.0);
}

TEST(NcclModel, DgxH100OneNodeAllReduceByHand) {
  const CommModel c = comm("dgx-h100", 1);
  const CostTable t = tune_model(c, Func::all_reduce);
  // Ring/Simple: busBw 12 x 30 = 360, x nRanks / nsteps = 8 / 14 -> 205.714...;
  // latency baseLat 8.4 + nsteps 14 x hwLat[NVLINK][Ring][Simple] 3.4 = 56.0.
  EXPECT_NEAR(bw(t, Algo::ring, Proto::simple), 360.0 * 8 / 14, 1e-9);
  EXPECT_NEAR(lat(t, Algo::ring, Proto::simple), 56.0, 1e-9);
  // Ring/LL: min(llMaxBw[Hopper][1 node] 141, 360 x 0.5) = 141 -> x 8/14; 6.6 + 14 x 0.6 = 15.0.
  EXPECT_NEAR(bw(t, Algo::ring, Proto::ll), 141.0 * 8 / 14, 1e-9);
  EXPECT_NEAR(lat(t, Algo::ring, Proto::ll), 15.0, 1e-9);
  // Ring/LL128: min(360 x 0.92, 12 x 36.7) = 331.2 -> x 8/14; 14 + 14 x 1.9 = 40.6.
  EXPECT_NEAR(bw(t, Algo::ring, Proto::ll128), 331.2 * 8 / 14, 1e-9);
  EXPECT_NEAR(lat(t, Algo::ring, Proto::ll128), 40.6, 1e-9);
  // Tree/Simple: min(360 x 0.92, 12 x 38.7) = 331.2, x 0.5 = 165.6; 8.4 + 2 x (7 x 4.0) = 64.4.
  EXPECT_NEAR(bw(t, Algo::tree, Proto::simple), 165.6, 1e-9);
  EXPECT_NEAR(lat(t, Algo::tree, Proto::simple), 64.4, 1e-9);
  // Tree/LL: 331.2 then min(331.2 / 3.8, 141), x 0.5; 6.8 + 2 x 7 x 0.6 = 15.2.
  EXPECT_NEAR(bw(t, Algo::tree, Proto::ll), 331.2 / 3.8 * 0.5, 1e-9);
  EXPECT_NEAR(lat(t, Algo::tree, Proto::ll), 15.2, 1e-9);
  // PAT is not an all_reduce algorithm; NVLS and CollNet are not modelled here.
  EXPECT_EQ(bw(t, Algo::pat, Proto::simple), 0.0);
  EXPECT_EQ(bw(t, Algo::collnet_direct, Proto::simple), 0.0);
  // Time at 1 GiB: 56 + 2^30 / (1000 x 205.714...) us.
  EXPECT_NEAR(algo_time_us(c, t, Func::all_reduce, Algo::ring, Proto::simple, kGiB), 56.0 + kGiB / (1000 * 360.0 * 8 / 14),
              1e-6);
}

TEST(NcclModel, TreeCorrectionFactorAppliesByLog2OfSize) {
  // 1 KiB = 16 units of 64 B, log2 4: treeCorrectionFactor[LL][4] = 0.9; [Simple][4] = 0.9.
  EXPECT_DOUBLE_EQ(tree_correction_factor(Proto::ll, 1024), 0.9);
  // 1 MiB = 2^14 units: [Simple][14] = 0.5; [LL128][14] = 0.6.
  EXPECT_DOUBLE_EQ(tree_correction_factor(Proto::simple, 1 << 20), 0.5);
  EXPECT_DOUBLE_EQ(tree_correction_factor(Proto::ll128, 1 << 20), 0.6);
  EXPECT_DOUBLE_EQ(tree_correction_factor(Proto::simple, 32), 1.0);   // below 64 B
  EXPECT_DOUBLE_EQ(tree_correction_factor(Proto::simple, kGiB), 1.0); // beyond 256 MiB
  const CommModel c = comm("dgx-h100", 1);
  const CostTable t = tune_model(c, Func::all_reduce);
  EXPECT_NEAR(algo_time_us(c, t, Func::all_reduce, Algo::tree, Proto::simple, 1 << 20),
              64.4 + double(1 << 20) / (1000 * 165.6 * 0.5), 1e-9);
}

TEST(NcclModel, AlpsAt512NodesByHand) {
  const CommModel c = comm("gh200-alps", 512);
  ASSERT_EQ(c.nranks, 2048);
  const CostTable t = tune_model(c, Func::all_reduce);
  // Ring/Simple: busBw 4 x 24 = 96, x 2048 / 4094. Latency: 8.4 + (4094 - 1022) x
  // max(hwLat[NVLINK][Ring][Simple] 3.4, netOverhead 1.0 (Grace) x 3) + 1022 x 14 (NET).
  EXPECT_NEAR(bw(t, Algo::ring, Proto::simple), 96.0 * 2048 / 4094, 1e-9);
  EXPECT_NEAR(lat(t, Algo::ring, Proto::simple), 8.4 + 3072 * 3.4 + 1022 * 14.0, 1e-6);
  // Tree/Simple: min(96 x 0.92, 4 x perChMaxTreeBw[Hopper][>2 nodes] 36) x 0.5 = 44.16;
  // 8.4 + 2 x ((4 - 1) x 4.0 + log2(512) x 14) = 284.4.
  EXPECT_NEAR(bw(t, Algo::tree, Proto::simple), 96 * 0.92 * 0.5, 1e-9);
  EXPECT_NEAR(lat(t, Algo::tree, Proto::simple), 284.4, 1e-9);
  // Slingshot: LL128 disabled (sites set NCCL_PROTO=^LL128).
  EXPECT_EQ(bw(t, Algo::ring, Proto::ll128), 0.0);
  EXPECT_EQ(bw(t, Algo::tree, Proto::ll128), 0.0);
  // Ring/Simple's plateau: 1 GiB / (4 channels x 2048 ranks) >= 64 B, so latency x 1.4.
  EXPECT_NEAR(algo_time_us(c, t, Func::all_reduce, Algo::ring, Proto::simple, kGiB),
              1.4 * (8.4 + 3072 * 3.4 + 1022 * 14.0) + kGiB / (1000 * 96.0 * 2048 / 4094), 1e-3);
}

TEST(NcclModel, OneGpuPerNodeUsesPatForAllGather) {
  // PAT (ncclPatEnable): one GPU per node only; 8 nodes x 1 rank of a DGX. Latency
  // 8.0 + log2(8) x (hwLat[NET][Tree][Simple] 14 / 3.5) + 8 x 2.8; bandwidth nCh x bw x 0.75,
  // not converted to algorithm bandwidth (tuning.cc leaves non-ring all_gather as bus bw).
  const SystemModel s = system_model(topology::cluster_preset("dgx-h100", 8));
  const CommModel c = comm_model(s, 8, 8);
  EXPECT_TRUE(c.pat_enabled);
  const CostTable t = tune_model(c, Func::all_gather);
  EXPECT_NEAR(lat(t, Algo::pat, Proto::simple), 8.0 + 3 * (14.0 / 3.5) + 8 * 2.8, 1e-9);
  EXPECT_NEAR(bw(t, Algo::pat, Proto::simple), c.pat.channels * c.pat.bw_inter_gb_s * 0.75, 1e-9);
  EXPECT_FALSE(comm("dgx-h100", 8).pat_enabled);
}

TEST(NcclModel, ChoiceFlipsFromLowLatencyToRingSimple) {
  const CommModel c = comm("dgx-h100", 1);
  const Choice small = choose(c, Func::all_reduce, 1024);
  EXPECT_EQ(small.proto, Proto::ll);  // 15.0 us (Ring/LL) beats 15.2 + (Tree/LL), 40.6 (LL128)
  const Choice large = choose(c, Func::all_reduce, kGiB);
  EXPECT_EQ(large.algo, Algo::ring);
  EXPECT_EQ(large.proto, Proto::simple);
  // Across 2 DGX nodes Tree wins in the middle (its latency is logarithmic in nodes).
  const CommModel two = comm("dgx-h100", 2);
  EXPECT_EQ(choose(two, Func::all_reduce, 1024).proto, Proto::ll);
  EXPECT_EQ(choose(two, Func::all_reduce, kGiB).algo, Algo::ring);
  EXPECT_EQ(choose(two, Func::all_reduce, kGiB).proto, Proto::simple);
}

TEST(NcclModel, BusBandwidthFollowsNcclTestsFactors) {
  const CommModel c = comm("dgx-h100", 1);
  const Choice x = choose(c, Func::all_reduce, kGiB);
  EXPECT_NEAR(x.algbw_gb_s, kGiB / (x.time_us * 1e3), 1e-9);
  EXPECT_NEAR(x.busbw_gb_s, x.algbw_gb_s * 2 * 7 / 8.0, 1e-9);
  EXPECT_NEAR(bus_factor(Func::all_gather, 8), 7 / 8.0, 1e-12);
  EXPECT_NEAR(bus_factor(Func::broadcast, 8), 1.0, 1e-12);
}

TEST(NcclModel, OneRankIsRefusedWithTheReason) {
  const SystemModel s = system_model(topology::cluster_preset("dgx-h100", 1));
  const std::string e = test::error_of([&] { comm_model(s, 1, 1); });
  EXPECT_NE(e.find("one-rank communicator"), std::string::npos) << e;
  EXPECT_NE(test::error_of([&] { comm_model(s, 2, 3); }).find("same number of ranks on every node"), std::string::npos);
}

TEST(NcclModel, PointToPointCollectivesAreNamedAsOutsideTheModel) {
  const std::string e = test::error_of([] { parse_func("alltoall"); });
  EXPECT_NE(e.find("collective alltoall"), std::string::npos) << e;
  EXPECT_NE(e.find("point-to-point"), std::string::npos) << e;
}

}  // namespace
}  // namespace cairn::tuner::nccl

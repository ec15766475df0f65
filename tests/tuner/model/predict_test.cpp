// The cluster prediction against public anchors, and its table.
#include "tuner/model/predict.h"

#include <gtest/gtest.h>

#include "tests/support/error_of.h"
#include "topology/cluster.h"
#include "topology/graph.h"
#include "tuner/model/nccl_model.h"

namespace cairn::tuner {
namespace {

constexpr std::size_t kGiB = std::size_t(1) << 30;

TEST(Predict, OneDgxH100NodeRingAllReduceIsInThePublishedRange) {
  // nccl-tests' published runs on one 8x H100 NVSwitch node: all_reduce busbw of about
  // 360-480 GB/s at large sizes (the upper end with NVLS, which this model leaves out).
  // NCCL's model for the ring is 12 channels x 30 GB/s = 360 GB/s of bus bandwidth less
  // its latency, so it sits at the low end: the anchor admits 340-480.
  const auto rows = predict_cluster(topology::cluster_preset("dgx-h100", 1), {"all_reduce"}, {kGiB});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].algorithm, "Ring");
  EXPECT_EQ(rows[0].protocol, "Simple");
  EXPECT_GE(rows[0].busbw_gb_s, 340);
  EXPECT_LE(rows[0].busbw_gb_s, 480);
}

TEST(Predict, TwoDgxNodesGiveFortyToFiftyGbPerGpu) {
  // 8 x 400 Gb/s NDR per node (50 GB/s per GPU): inter-node all_reduce busbw of about
  // 40-50 GB/s per GPU of the node (nccl-tests multi-node DGX H100 runs), i.e. 320-400 GB/s.
  const auto rows = predict_cluster(topology::cluster_preset("dgx-h100", 2), {"all_reduce"}, {kGiB});
  EXPECT_GE(rows[0].busbw_gb_s / 8, 40);
  EXPECT_LE(rows[0].busbw_gb_s / 8, 50);
}

TEST(Predict, Alps512NodesIsWithinTheNetworkAndPicksTreeAtScale) {
  // 4 x 200 Gb/s Slingshot per node = 100 GB/s of injection: no all_reduce's bus bandwidth
  // exceeds what the node's NICs carry (NCCL's own bound: nChannels x bwInter <= NICs x
  // NIC bandwidth), and NCCL's model gives at least half of it at 1 GiB.
  const topology::ClusterSpec alps = topology::cluster_preset("gh200-alps", 512);
  const auto rows = predict_cluster(alps, {"all_reduce", "all_gather", "reduce_scatter", "broadcast"}, {1024, kGiB});
  ASSERT_EQ(rows.size(), 8u);
  const PredictionRow& large = rows[1];
  EXPECT_EQ(large.bytes, kGiB);
  EXPECT_GE(large.busbw_gb_s, 50);
  EXPECT_LE(large.busbw_gb_s, 100);
  // 2048 ranks: the ring's 2 x 2047 steps (34.7 ms of latency) lose to the tree's
  // 2 x (3 + log2 512) even at 1 GiB; small sizes run LL (LL128 is off on Slingshot).
  EXPECT_EQ(large.algorithm, "Tree");
  EXPECT_EQ(rows[0].protocol, "LL");
  for (const PredictionRow& r : rows) {
    EXPECT_NE(r.protocol, "LL128");
    EXPECT_GT(r.time_us, 0);
    EXPECT_LE(r.busbw_gb_s, 100) << r.collective;
  }
}

TEST(Predict, CalibrationScalesTheChosenTimes) {
  const topology::ClusterSpec alps = topology::cluster_preset("gh200-alps", 64);
  FamilyFit slow;
  slow.family = "nccl:default";
  slow.collective = "all_reduce";
  slow.fit.alpha_us = 2.0;
  slow.fit.beta_us_per_byte = 2.0;
  slow.fit.points = 5;
  const std::vector<FamilyFit> cal = {slow};
  const auto raw = predict_cluster(alps, {"all_reduce"}, {kGiB});
  const auto scaled = predict_cluster(alps, {"all_reduce"}, {kGiB}, cal);
  EXPECT_NEAR(scaled[0].time_us, 2 * raw[0].time_us, 1e-6 * raw[0].time_us);
  EXPECT_TRUE(scaled[0].calibrated);
  EXPECT_FALSE(raw[0].calibrated);
}

TEST(Predict, TableFitsOneHundredColumnsAndCarriesHeldOutLines) {
  const topology::ClusterSpec alps = topology::cluster_preset("gh200-alps", 512);
  const auto rows = predict_cluster(alps, {"all_reduce", "all_gather"}, {1 << 10, 1 << 20, kGiB});
  HoldoutReport h;
  h.families.push_back({"ucx:ring", 5, 4, 0.031});
  h.held_out = 4;
  h.median_abs_rel_error = 0.031;
  const std::string text = format_prediction(alps, rows, &h);
  EXPECT_NE(text.find("2048 ranks"), std::string::npos) << text;
  EXPECT_NE(text.find("all_reduce"), std::string::npos);
  EXPECT_NE(text.find("Tree/"), std::string::npos);
  EXPECT_NE(text.find("Slingshot"), std::string::npos);
  EXPECT_NE(text.find("held-out error"), std::string::npos);
  EXPECT_NE(text.find("3.1 %"), std::string::npos);
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    EXPECT_LE(end - start, 100u) << text.substr(start, end - start);
    start = end + 1;
  }
}

TEST(Predict, JsonCarriesTheSchemaRowsAndHoldout) {
  const topology::ClusterSpec alps = topology::cluster_preset("gh200-alps", 512);
  const auto rows = predict_cluster(alps, {"all_reduce"}, {1 << 20});
  HoldoutReport h;
  h.families.push_back({"ucx:ring", 5, 4, 0.031});
  h.held_out = 4;
  h.median_abs_rel_error = 0.031;
  const Json doc = prediction_to_json(alps, rows, &h);
  EXPECT_NO_THROW(require_schema(doc, "cairn.tune.prediction", 1, "test"));
  EXPECT_EQ(doc["ranks"], 2048);
  ASSERT_EQ(doc["rows"].size(), 1u);
  EXPECT_EQ(doc["rows"][0]["algorithm"], rows[0].algorithm);
  EXPECT_DOUBLE_EQ(doc["rows"][0]["busbw_gb_s"].get<double>(), rows[0].busbw_gb_s);
  EXPECT_DOUBLE_EQ(doc["holdout"]["median_abs_rel_error"].get<double>(), 0.031);
  EXPECT_FALSE(prediction_to_json(alps, rows).contains("holdout"));
}

TEST(Predict, OneGpuClusterIsRefusedClearly) {
  topology::Graph one;
  topology::Vertex gpu;
  gpu.kind = topology::VertexKind::gpu;
  gpu.gpu.sm = 90;
  one.add_vertex(gpu);
  topology::ClusterSpec c;
  c.name = "single";
  c.node_type = "custom";
  c.nodes = 1;
  const SystemModel s = system_model(one, c);
  const std::string e = test::error_of([&] { nccl::comm_model(s, 1); });
  EXPECT_NE(e.find("cluster single: 1 GPU"), std::string::npos) << e;
  EXPECT_NE(test::error_of([] {
              predict_cluster(topology::cluster_preset("dgx-h100", 1), {"all_reduce"}, {0});
            }).find("size 0"),
            std::string::npos);
}

}  // namespace
}  // namespace cairn::tuner

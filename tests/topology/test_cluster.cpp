// Cluster presets, their figures, and the cairn.cluster JSON file.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "common/error.h"
#include "topology/cluster.h"

namespace cairn::topology {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("cairn-topology-" + std::to_string(::getpid()) + "-" + name)).string();
}

std::string load_error(const Json& doc) {
  try {
    cluster_from_json(doc, "cluster.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ClusterPresets, DgxH100) {
  auto c = cluster_preset("dgx-h100", 32);
  EXPECT_EQ(c.network.transport, "ibverbs");
  EXPECT_EQ(c.network.nics_per_node, 8);
  EXPECT_DOUBLE_EQ(c.network.link_gbit_s, 400);
  auto f = cluster_figures(c);
  EXPECT_EQ(f.gpus, 256);
  EXPECT_EQ(f.nics, 256);
  EXPECT_DOUBLE_EQ(f.node_network_gb_s, 400.0);  // 8 x 400 Gb/s
  EXPECT_DOUBLE_EQ(f.gpu_network_gb_s, 50.0);
  EXPECT_DOUBLE_EQ(f.injection_gb_s, 12800.0);
  EXPECT_DOUBLE_EQ(f.bisection_gb_s, 6400.0);  // non-blocking: half the nodes at full rate
  c.network.oversubscription = 2;
  EXPECT_DOUBLE_EQ(cluster_figures(c).bisection_gb_s, 3200.0);
}

TEST(ClusterPresets, Gh200AlpsIsSlingshotNotInfiniBand) {
  auto c = cluster_preset("gh200-alps", 16);
  EXPECT_EQ(c.network.transport, "slingshot-cxi");
  EXPECT_NE(c.network.nccl_net.find("aws-ofi-nccl"), std::string::npos);
  EXPECT_EQ(c.network.shape, NetworkShape::dragonfly);
  bool says_not_ib = false;
  for (const auto& n : c.notes) says_not_ib |= n.find("not InfiniBand") != std::string::npos;
  EXPECT_TRUE(says_not_ib);
  auto f = cluster_figures(c);
  EXPECT_EQ(f.gpus_per_node, 4);
  EXPECT_EQ(f.gpus, 64);
  EXPECT_DOUBLE_EQ(f.node_network_gb_s, 100.0);  // 4 x 200 Gb/s
  EXPECT_DOUBLE_EQ(f.gpu_network_gb_s, 25.0);
  EXPECT_DOUBLE_EQ(f.bisection_gb_s, 800.0);     // one group: 8 nodes x 100 GB/s
  // 512 nodes = 4 groups of 128: 2 x 2 group pairs cross, each carrying 128 x 100 / 3.
  auto big = cluster_figures(cluster_preset("gh200-alps", 512));
  EXPECT_NEAR(big.bisection_gb_s, 4 * 12800.0 / 3, 1e-6);
  EXPECT_LT(big.bisection_gb_s, 256 * 100.0);
}

TEST(ClusterPresets, PcieOnly) {
  auto f = cluster_figures(cluster_preset("pcie-only", 4));
  EXPECT_EQ(f.gpus, 32);
  EXPECT_DOUBLE_EQ(f.node_network_gb_s, 100.0);  // 2 x 400 Gb/s
  EXPECT_DOUBLE_EQ(f.gpu_network_gb_s, 12.5);
  EXPECT_DOUBLE_EQ(f.bisection_gb_s, 200.0);
}

TEST(ClusterPresets, BadNamesAndCounts) {
  EXPECT_THROW(cluster_preset("dgx-h100", 0), Error);
  try {
    cluster_preset("frontier", 4);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown node type \"frontier\""), std::string::npos) << e.what();
  }
}

TEST(ClusterJson, SaveAndLoadKeepEveryField) {
  for (const auto& name : cluster_preset_names()) {
    auto c = cluster_preset(name, 7);
    std::string path = temp_path(name + ".json");
    write_cluster_file(c, path);
    auto back = read_cluster_file(path);
    std::filesystem::remove(path);
    EXPECT_EQ(cluster_to_json(back), cluster_to_json(c)) << name;
    EXPECT_EQ(back.nodes, 7);
    auto f1 = cluster_figures(c), f2 = cluster_figures(back);
    EXPECT_DOUBLE_EQ(f1.bisection_gb_s, f2.bisection_gb_s);
  }
}

TEST(ClusterJson, ErrorsNameTheFileAndField) {
  Json good = cluster_to_json(cluster_preset("dgx-h100", 2));
  EXPECT_EQ(load_error(good), "");
  Json v2 = good;
  v2["schema_version"] = 2;
  EXPECT_NE(load_error(v2).find("cluster.json: schema_version 2 is not supported"), std::string::npos);
  Json other = good;
  other["schema"] = "cairn.topo";
  EXPECT_NE(load_error(other).find("expected \"cairn.cluster\""), std::string::npos);
  Json no_nodes = good;
  no_nodes.erase("nodes");
  EXPECT_NE(load_error(no_nodes).find("missing field \"nodes\""), std::string::npos);
  Json shape = good;
  shape["network"]["shape"] = "torus";
  EXPECT_NE(load_error(shape).find("shape is \"torus\""), std::string::npos);
  Json rate = good;
  rate["network"]["link_gbit_s"] = "fast";
  EXPECT_NE(load_error(rate).find("\"link_gbit_s\" has the wrong type"), std::string::npos);
  Json node = good;
  node["node_type"] = "dgx-b200";
  EXPECT_NE(load_error(node).find("field node_type: unknown node type"), std::string::npos);
  Json over = good;
  over["network"]["oversubscription"] = 0.5;
  EXPECT_NE(load_error(over).find("oversubscription must be 1"), std::string::npos);
}

TEST(ClusterJson, EmptyAndMalformedFiles) {
  std::string path = temp_path("bad.json");
  {
    std::ofstream(path) << "";
  }
  try {
    read_cluster_file(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": file is empty"), std::string::npos) << e.what();
  }
  {
    std::ofstream(path) << "{\"schema\": \"cairn.cluster\", ";
  }
  try {
    read_cluster_file(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": malformed JSON"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(ClusterText, SaysWhatTheFiguresAre) {
  auto c = cluster_preset("gh200-alps", 16);
  std::string text = format_cluster(c, cluster_figures(c));
  EXPECT_NE(text.find("16 x gh200-alps (4 GPUs per node) = 64 GPUs"), std::string::npos) << text;
  EXPECT_NE(text.find("4 x 200 Gb/s = 100.0 GB/s"), std::string::npos) << text;
  EXPECT_NE(text.find("slingshot-cxi via aws-ofi-nccl"), std::string::npos) << text;
}

}  // namespace
}  // namespace cairn::topology

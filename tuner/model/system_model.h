// The few facts of a cluster that NCCL's cost model reads (src/graph/tuning.cc,
// ncclTopoTuneModel), taken from a topology::ClusterSpec and its node preset, and the
// channel graphs NCCL's search would find on it (src/graph/search.cc, ncclTopoCompute).
//
// The graph search is approximated, not run: NCCL tries per-channel speeds from its speed
// array, fastest first, and keeps the fastest at which it can lay channels; here the speed
// is the fastest the bottleneck path allows and the channel count is what the shared link
// can carry at that speed (docs/tuner.md, "NCCL's channel graphs").
#pragma once

#include <string>
#include <vector>

#include "topology/cluster.h"
#include "topology/graph.h"

namespace cairn::tuner {

struct SystemModel {
  std::string name;              // the cluster (or node preset) it describes
  std::string node_type;
  int gpus_per_node = 0;
  int nodes = 0;
  int sm = 0;                    // compute capability, major*10+minor (all GPUs alike)
  bool intra_nvlink = false;     // GPUs of a node talk over NVLink (graph typeIntra LINK_NVL)
  bool nvswitch = false;
  // The fastest one channel can go between two GPUs of a ring in the node (the slowest
  // neighbour path), and all of one GPU's intra-node bandwidth that channels share.
  double intra_path_gb_s = 0;
  double intra_gpu_gb_s = 0;
  int nics_per_node = 0;
  double nic_gb_s = 0;           // per NIC, NCCL's speed / 8000
  double gpu_nic_path_gb_s = 0;  // the slowest GPU's path to its NIC
  std::string transport;         // the cluster's network transport ("ibverbs", "slingshot-cxi")
  // LL128 off: NCCL's own rule (needs NVLink-class paths, ncclTopoTuneModel's pEnable) or
  // the site's NCCL_PROTO=^LL128 (Slingshot, ../shared FIELD.md).
  bool ll128_enabled = true;
  std::string cpu_arch, cpu_vendor;
  double net_latency_us = 0;     // graph->latencyInter: the net plugin's latency property
  std::vector<std::string> notes;  // the assumptions the figures rest on
};

// Throws cairn::Error naming the cluster when its node preset lacks GPUs or their compute
// capability, or its network has no NIC while it spans several nodes.
SystemModel system_model(const topology::ClusterSpec& cluster);
// The same from a node graph you already hold (a probe, an NCCL XML) and a network.
SystemModel system_model(const topology::Graph& node, const topology::ClusterSpec& cluster);

// One of NCCL's channel graphs as ncclTopoTuneModel reads it (struct ncclTopoGraph):
// nChannels, bwIntra, bwInter (per channel, GB/s), sameChannels.
struct ChannelGraph {
  int channels = 0;
  double bw_intra_gb_s = 0;
  double bw_inter_gb_s = 0;
  bool same_channels = true;
};

// The ring graph NCCL's search would find for `nodes` nodes of this system (ncclTopoCompute
// pass 1, then ncclTopoDupChannels); the tree graph is taken to be the same (init.cc gives
// the tree the ring's channel count as its maximum).
ChannelGraph ring_graph(const SystemModel& s, int nodes);

}  // namespace cairn::tuner
